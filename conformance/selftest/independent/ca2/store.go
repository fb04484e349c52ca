package main

// The CA's state is a directory of small JSON files, each replaced atomically
// (write a temporary file, fsync, rename) under an flock(2) on DIR/.lock. Why JSON
// files: Go has no SQLite in its standard library, the state is small (users,
// issued serials, failure counts), an administrator can read it, and the admin
// commands run as separate processes: the flock makes each read-modify-write of
// `user add`, `revoke`, `unlock` and the server atomic against the others, and the
// server re-reads the files on every request that needs them, so a revocation is in
// the next CRL without any signal.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/scrypt"
)

const (
	usersFile    = "users.json"
	certsFile    = "certs.json"
	throttleFile = "throttle.json"
	rootCertFile = "root.pem"
	rootKeyFile  = "root.key"
)

var aliasPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// User is one employee: an scrypt hash of the password with its own salt.
type User struct {
	Salt    []byte `json:"salt"`
	Hash    []byte `json:"hash"`
	LogN    int    `json:"log_n"`
	R       int    `json:"r"`
	P       int    `json:"p"`
	Revoked bool   `json:"revoked"`
}

// IssuedCert records one certificate the CA issued (and its revocation).
type IssuedCert struct {
	Serial    string    `json:"serial"` // decimal
	Alias     string    `json:"alias"`
	NotAfter  time.Time `json:"not_after"`
	IssuedAt  time.Time `json:"issued_at"`
	RevokedAt time.Time `json:"revoked_at,omitempty"`
}

// Store is the CA directory.
type Store struct {
	Dir string
	mu  sync.Mutex // serialises this process's goroutines; flock serialises processes
}

// withLock runs fn holding the process mutex and the directory's flock.
func (s *Store) withLock(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(filepath.Join(s.Dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck
	return fn()
}

func (s *Store) readJSON(name string, v any) error {
	data, err := os.ReadFile(filepath.Join(s.Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func (s *Store) writeJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.Dir, name), data, 0o600)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (s *Store) users() (map[string]*User, error) {
	users := map[string]*User{}
	err := s.readJSON(usersFile, &users)
	return users, err
}

func (s *Store) certs() ([]IssuedCert, error) {
	var certs []IssuedCert
	err := s.readJSON(certsFile, &certs)
	return certs, err
}

// Password hashing parameters: scrypt N = 2^15, r = 8, p = 1 (RFC 7914's
// interactive-login recommendation), a 16-byte salt, a 32-byte key.
const (
	scryptLogN = 15
	scryptR    = 8
	scryptP    = 1
)

func hashPassword(password string) (*User, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	hash, err := scrypt.Key([]byte(password), salt, 1<<scryptLogN, scryptR, scryptP, 32)
	if err != nil {
		return nil, err
	}
	return &User{Salt: salt, Hash: hash, LogN: scryptLogN, R: scryptR, P: scryptP}, nil
}

// dummyUser is hashed against for unknown aliases (CA-ENR-6): the same work as a
// real user, and it never matches (its hash is random).
var dummyUser = func() *User {
	u := &User{Salt: make([]byte, 16), Hash: make([]byte, 32), LogN: scryptLogN, R: scryptR, P: scryptP}
	_, _ = rand.Read(u.Salt)
	_, _ = rand.Read(u.Hash)
	return u
}()

// cheapDummyUser: fault r18-dummy-cheap-scrypt, a dummy hashed at 2^10.
var cheapDummyUser = func() *User {
	u := &User{Salt: make([]byte, 16), Hash: make([]byte, 32), LogN: 10, R: scryptR, P: scryptP}
	_, _ = rand.Read(u.Salt)
	_, _ = rand.Read(u.Hash)
	return u
}()

func (u *User) verify(password string) bool {
	got, err := scrypt.Key([]byte(password), u.Salt, 1<<u.LogN, u.R, u.P, len(u.Hash))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, u.Hash) == 1
}

// parsePasswordFile applies PWF-1 to a password file's (or stdin's) bytes.
func parsePasswordFile(data []byte) (string, error) {
	if !utf8.Valid(data) {
		return "", errors.New("the password is not UTF-8 text")
	}
	text := string(data)
	switch {
	case len(text) >= 2 && text[len(text)-2:] == "\r\n":
		text = text[:len(text)-2]
	case len(text) >= 1 && text[len(text)-1] == '\n':
		text = text[:len(text)-1]
	}
	for _, c := range text {
		if c == '\r' || c == '\n' {
			return "", errors.New("the password file holds more than one line")
		}
	}
	if text == "" {
		return "", errors.New("the password is empty")
	}
	return text, nil
}

func validAlias(alias string) error {
	if !aliasPattern.MatchString(alias) {
		return fmt.Errorf("alias %q: 1-64 characters a-z 0-9 . _ -, starting with a letter or digit", alias)
	}
	return nil
}
