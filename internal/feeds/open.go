package feeds

import (
	"errors"
	"io"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// openReader makes the rows of a feed file with a mapping.
func openReader(r io.Reader, m Mapping) (RowSource, error) {
	rd, err := NewReader(r, m)
	if err != nil {
		return nil, err
	}
	// Applying finds repeated SKUs itself, on the snapshot's index (and the
	// unknown SKUs' set), so the reader need not keep its own.
	rd.SkipDuplicateCheck()
	return rd, nil
}

// readerChecks adds the reader's own checks of a mapping (words, date
// layout, currency) to f, so a mapping that cannot read any file is refused
// when it is saved, not at the next run.
func readerChecks(m Mapping, f *apperr.Fields) {
	rd := &Reader{m: m}
	err := rd.compile()
	var ae *apperr.Error
	if errors.As(err, &ae) {
		for _, fe := range ae.Fields {
			f.Add(fe.Field, "%s", fe.Message)
		}
	}
}
