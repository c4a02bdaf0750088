package mail

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Dir "sends" messages by writing each one, fully built as Send would
// transmit it, to an .eml file in a directory. It is for the demo and for
// development, where no SMTP server is at hand: the files open in any mail
// client, and nothing leaves the machine. It is safe for concurrent use.
type Dir struct {
	path string
	s    *Sender
	n    atomic.Int64
}

// NewDir returns a Dir writing into path (created if missing) with from as
// the sender's address.
func NewDir(path, from string) (*Dir, error) {
	s, err := New(Settings{Host: "localhost", From: from, TLS: TLSNone})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, &Error{Op: "dial", Err: fmt.Errorf("mail directory: %w", err)}
	}
	return &Dir{path: path, s: s}, nil
}

// Path returns the directory the messages go to.
func (d *Dir) Path() string { return d.path }

// Send writes m to a new file named after the time and a counter, and
// returns the Message-ID it gave the message.
func (d *Dir) Send(ctx context.Context, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", &Error{Op: "send", Temporary: true, Err: err}
	}
	msg, err := d.s.build(m)
	if err != nil {
		return "", &Error{Op: "validate", Err: err}
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return "", &Error{Op: "send", Err: fmt.Errorf("write message: %w", err)}
	}
	name := fmt.Sprintf("%s-%04d-%s.eml", time.Now().UTC().Format("20060102T150405"), d.n.Add(1), slug(m.Subject))
	if err := os.WriteFile(filepath.Join(d.path, name), b.Bytes(), 0o640); err != nil {
		return "", &Error{Op: "send", Temporary: true, Err: fmt.Errorf("write message: %w", err)}
	}
	return msg.GetMessageID(), nil
}

// slug keeps a file name readable: letters and digits of the subject, at
// most 40, the rest as dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
