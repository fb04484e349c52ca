"""Capture analysis: record real sft traffic with dumpcap and prove, or disprove, that
nothing secret crosses the wire in a readable form.

Modules: `recorder` (dumpcap on loopback), `pcap` (streaming reader), `reassembly`
(TCP streams by sequence number, on disk), `secrets` (secret search in raw and
derived forms), `protocols` (frames/records, where the channel starts), `attacks`
(offline dictionary attacks), `facts` (tshark/pyshark + sft.lua, in a subprocess),
`checker` (verdicts), `reports` (JSON, Markdown, HTML), `bench`.
"""

__all__: list[str] = []
