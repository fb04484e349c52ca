package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

const partialPrefix = ".sft-partial-"

// checkName applies SPEC §3.5 (APP-NAME-1, -2, -8) to a name as received: literally,
// never cleaned, decoded or normalised (APP-NAME-3).
func checkName(name string) *ProtoError {
	if fault("name-clean") {
		name = filepath.Clean(name)
	}
	if fault("i7-name-trim-slash") {
		name = strings.Trim(name, "/") // "be liberal": /a and a/ are a
	}
	nameLen := len(name)
	if fault("i26-name-runes-total") {
		nameLen = utf8.RuneCountInString(name)
	}
	if name == "" || nameLen > 4096 {
		return perr(codeForbidden, "name is empty or longer than 4096 bytes")
	}
	if !utf8.ValidString(name) {
		return perr(codeForbidden, "name is not UTF-8")
	}
	if fault("b17-dotdot-contains") && strings.Contains(name, "..") {
		return perr(codeForbidden, "parent reference in name")
	}
	if name[0] == '/' {
		return perr(codeForbidden, "absolute name")
	}
	if len(name) >= 2 && name[1] == ':' && (name[0] >= 'A' && name[0] <= 'Z' || name[0] >= 'a' && name[0] <= 'z') {
		return perr(codeForbidden, "drive letter")
	}
	for _, r := range name {
		if fault("i26-bidi-control-property") && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			return perr(codeForbidden, "control or bidirectional formatting character in name")
		}
		switch {
		case r < 0x20 || r == 0x7f || r == '\\':
			return perr(codeForbidden, "control character or backslash in name")
		case fault("p15-bidi-endpoints-only") && (r >= 0x80 && r <= 0x9f):
			return perr(codeForbidden, "C1 control character in name")
		case fault("p15-bidi-endpoints-only"):
			switch r {
			case 0x202a, 0x202e, 0x2066, 0x2069:
				return perr(codeForbidden, "bidirectional formatting character in name")
			}
		case !fault("c1-allowed") && (r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069):
			return perr(codeForbidden, "C1 control or bidirectional formatting character in name")
		}
	}
	for _, c := range strings.Split(name, "/") {
		if c == "" || c == "." || c == ".." {
			return perr(codeForbidden, "empty, . or .. component")
		}
		if len(c) == 255 && fault("b17-component-255-ge") {
			return perr(codeForbidden, "component of 255 bytes or more")
		}
		if len(c) > 255 && !fault("p15-component-runes") || fault("p15-component-runes") && utf8.RuneCountInString(c) > 255 {
			return perr(codeForbidden, "component longer than 255 bytes")
		}
	}
	return nil
}

func baseName(name string) string {
	i := strings.LastIndexByte(name, '/')
	return name[i+1:]
}

// openInShare opens a regular file of the share component by component, relative to
// directory descriptors and with O_NOFOLLOW, so no symbolic link is ever followed, and
// none can be swapped in between a check and the open (APP-NAME-4, APP-NAME-5).
func openInShare(share, name string) (*os.File, *ProtoError) {
	if fault("prefix-confine") {
		return openByPrefix(share, name)
	}
	if strings.HasPrefix(baseName(name), partialPrefix) {
		return nil, perr(codeForbidden, "reserved name")
	}
	dfd, err := syscall.Open(share, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, perr(codeInternal, "share unavailable")
	}
	comps := strings.Split(name, "/")
	for i, c := range comps {
		last := i == len(comps)-1
		flags := syscall.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
		if last {
			flags |= syscall.O_NONBLOCK
		} else {
			flags |= syscall.O_DIRECTORY
		}
		fd, err := syscall.Openat(dfd, c, flags, 0)
		syscall.Close(dfd)
		if err != nil {
			switch {
			case errors.Is(err, syscall.ELOOP):
				if fault("i26-link-target-in-message") {
					if target, lerr := os.Readlink(filepath.Join(share, strings.Join(comps[:i+1], "/"))); lerr == nil {
						return nil, perr(codeForbidden, "symbolic link to %s is not followed", target)
					}
				}
				return nil, perr(codeForbidden, "symbolic links are not followed")
			case errors.Is(err, syscall.ENOTDIR) && !last:
				// a symlink to a directory opened with O_NOFOLLOW|O_DIRECTORY gives ENOTDIR
				var st syscall.Stat_t
				if syscall.Lstat(filepath.Join(share, strings.Join(comps[:i+1], "/")), &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFLNK {
					if fault("i26-link-target-in-message") {
						if target, lerr := os.Readlink(filepath.Join(share, strings.Join(comps[:i+1], "/"))); lerr == nil {
							return nil, perr(codeForbidden, "symbolic link to %s is not followed", target)
						}
					}
					return nil, perr(codeForbidden, "symbolic links are not followed")
				}
				return nil, perr(codeNotFound, "no such file")
			default:
				return nil, perr(codeNotFound, "no such file")
			}
		}
		dfd = fd
	}
	f := os.NewFile(uintptr(dfd), name)
	st, err := f.Stat()
	if fault("p15-fifo-isdir-only") && err == nil && !st.IsDir() {
		_ = syscall.SetNonblock(dfd, false)
		return f, nil
	}
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, perr(codeNotFound, "no such file")
	}
	// back to blocking reads for a regular file
	_ = syscall.SetNonblock(dfd, false)
	return f, nil
}

// openByPrefix is the planted fault: follows symlinks and confines by string prefix.
func openByPrefix(share, name string) (*os.File, *ProtoError) {
	p, err := filepath.EvalSymlinks(filepath.Join(share, name))
	if err != nil {
		return nil, perr(codeNotFound, "no such file")
	}
	if !strings.HasPrefix(p, share) {
		return nil, perr(codeForbidden, "outside the share")
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, perr(codeNotFound, "no such file")
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, perr(codeNotFound, "no such file")
	}
	return f, nil
}
