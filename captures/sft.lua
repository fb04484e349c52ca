-- Wireshark / tshark dissector for sft frames (docs/SPEC.md §1):
--   type (4 ASCII bytes) | length (uint32 big-endian) | payload (length bytes)
--
-- Use in Wireshark: copy to your personal plugins folder (Help > About >
-- Folders), then set Edit > Preferences > Protocols > SFT > TCP ports, or
-- use Decode As... > SFT on the connection.
-- Use with tshark:  tshark -X lua_script:sft.lua -X lua_script1:ports=4000,4001 -r f.pcapng
-- The capture checker loads it this way through pyshark (captures/facts.py).
--
-- Frames are reassembled across TCP segments (dissect_tcp_pdus), so a header
-- split from its payload, or several frames in one segment, show as whole frames.

local sft = Proto("sft", "sft secure file transfer frames")

local KNOWN = {
  RQFL = "file request", RSFL = "file response", PUTF = "put request",
  DATA = "file data", DONE = "transfer done", EROR = "error", BYE_ = "goodbye",
  EKE1 = "EKE client hello", EKE2 = "EKE server reply", EKE3 = "EKE client confirm",
  EKE4 = "EKE server confirm", RECD = "encrypted record",
  -- legacy sft-pki/0 (docs/SPEC.md §7.1)
  SECE = "legacy: requester certificate", RSCV = "legacy: responder certificate",
  RSCI = "legacy: certificate refused",
}
local CONTROL_TYPES = { RQFL = true, RSFL = true, PUTF = true, DONE = true, EROR = true,
  BYE_ = true, EKE1 = true, EKE2 = true, EKE3 = true, EKE4 = true }

local f_type = ProtoField.string("sft.type", "Type")
local f_length = ProtoField.uint32("sft.length", "Length", base.DEC)
local f_payload = ProtoField.bytes("sft.payload", "Payload")
local f_json = ProtoField.string("sft.json", "Control object (JSON)")
local f_known = ProtoField.bool("sft.known", "Known frame type")
sft.fields = { f_type, f_length, f_payload, f_json, f_known }

local e_bad_type = ProtoExpert.new("sft.bad_type", "Frame type outside A-Z 0-9 _",
  expert.group.MALFORMED, expert.severity.ERROR)
local e_clear = ProtoExpert.new("sft.cleartext", "Application frame readable on the wire",
  expert.group.SECURITY, expert.severity.WARN)
sft.experts = { e_bad_type, e_clear }

sft.prefs.ports = Pref.range("TCP ports", "", "TCP ports that carry sft frames", 65535)

local MAX_LENGTH = 1048832 + 65536  -- FRM-3 default limit, with room for a record header

local function valid_type(s)
  return s:match("^[A-Z0-9_][A-Z0-9_][A-Z0-9_][A-Z0-9_]$") ~= nil
end

local function frame_length(tvb, pinfo, offset)
  return 8 + tvb(offset + 4, 4):uint()
end

local function dissect_frame(tvb, pinfo, tree)
  local ftype = tvb(0, 4):string()
  local length = tvb(4, 4):uint()
  local sub = tree:add(sft, tvb(), "sft frame " .. ftype .. " (" .. length .. " bytes)")
  sub:add(f_type, tvb(0, 4))
  sub:add(f_length, tvb(4, 4))
  sub:add(f_known, KNOWN[ftype] ~= nil)
  if not valid_type(ftype) then
    sub:add_proto_expert_info(e_bad_type)
  end
  if length > 0 then
    local payload = tvb(8, length)
    sub:add(f_payload, payload)
    if CONTROL_TYPES[ftype] then
      sub:add(f_json, payload)
    end
  end
  if ftype == "RQFL" or ftype == "RSFL" or ftype == "PUTF" or ftype == "DATA"
      or ftype == "DONE" or ftype == "BYE_" then
    sub:add_proto_expert_info(e_clear)
  end
  pinfo.cols.protocol = "SFT"
  local info = tostring(pinfo.cols.info)
  local label = ftype .. "(" .. length .. ")"
  if info == "" or info:sub(1, 4) ~= "SFT " then
    pinfo.cols.info = "SFT " .. label
  else
    pinfo.cols.info:append(" " .. label)
  end
  return 8 + length
end

function sft.dissector(tvb, pinfo, tree)
  if tvb:len() < 8 then
    -- ask for the rest of the header
    pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
    pinfo.desegment_offset = 0
    return
  end
  local ftype = tvb(0, 4):string()
  if not valid_type(ftype) or tvb(4, 4):uint() > MAX_LENGTH then
    return 0  -- not sft framing (e.g. lost sync): leave the bytes to others
  end
  dissect_tcp_pdus(tvb, tree, 8, frame_length, dissect_frame, true)
end

local tcp_port = DissectorTable.get("tcp.port")
local registered = nil

local function register_ports(ports)
  if registered ~= nil then
    tcp_port:remove(registered, sft)
  end
  if ports ~= nil and ports ~= "" then
    tcp_port:add(ports, sft)
    registered = ports
  end
end

function sft.prefs_changed()
  register_ports(tostring(sft.prefs.ports))
end

-- Script arguments (tshark -X lua_script1:ports=4000,4001): ports to register now.
local args = { ... }
for _, a in ipairs(args) do
  local ports = tostring(a):match("^ports=(.+)$")
  if ports then
    register_ports(ports)
  end
end
