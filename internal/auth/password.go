package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 10

// Argon2id parameters. 19 MiB, two passes, one lane is the OWASP baseline for
// argon2id; the parameters are stored with every hash, so raising them later
// only affects new hashes.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// CheckPassword applies the password policy: at least MinPasswordLength
// characters, at most 1024 bytes, and not the account's own email.
func CheckPassword(password, email string) error {
	if msg := passwordProblem(password, email); msg != "" {
		return apperr.InvalidField("password", "%s", msg)
	}
	return nil
}

// passwordProblem says what is wrong with password, or "".
func passwordProblem(password, email string) string {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLength)
	case len(password) > 1024:
		return "must be at most 1024 bytes"
	case email != "" && strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)):
		return "must not be the email address"
	}
	return ""
}

// HashPassword returns the argon2id hash of password in the PHC string form
// $argon2id$v=19$m=...,t=...,p=...$SALT$HASH (unpadded standard base64).
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the encoded hash, comparing
// in constant time. A malformed hash is an error, not a mismatch.
func VerifyPassword(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, fmt.Errorf("password hash: not an argon2id PHC string")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("password hash: unsupported argon2 version %q", parts[2])
	}
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	if mem == 0 || mem > 1<<22 || iter == 0 || iter > 100 || threads == 0 {
		return false, fmt.Errorf("password hash: parameters %q out of range", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("password hash: key: %v", err)
	}
	got := argon2.IDKey([]byte(password), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when an email is unknown, so that a failed
// login takes about as long whether or not the account exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("orderly-dummy-password")
	return h
})
