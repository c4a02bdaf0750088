package feedfile

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// The seed corpora are in testdata/fuzz/<target>: real-world shapes (an
// Italian semicolon CSV in Latin-1, a BOM, quotes over lines, ragged rows, a
// JSON array with nested values, truncated files). Run a target with e.g.
//
//	go test ./internal/feeds/feedfile -run '^$' -fuzz '^FuzzCSV$' -fuzztime 60s

var encodings = [...]string{"auto", "utf-8", "windows-1252", "iso-8859-1"}

// checkFile reads a whole file and checks what any file must give: records
// as wide as the header with a line, errors that say where and why, an end,
// and a fatal error that stays.
func checkFile(t *testing.T, data []byte, opts Options) {
	f, err := Open(bytes.NewReader(data), opts)
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) || fe.Reason == "" {
			t.Fatalf("Open: %v (%T) is not a FileError with a reason", err, err)
		}
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("Open: %v has code %s", err, apperr.CodeOf(err))
		}
		return
	}
	defer f.Close()
	width := len(f.Header())
	if width == 0 && f.Info().Format != FormatJSON {
		t.Fatalf("an empty header from %s", f.Info().Format)
	}
	last := 0
	for n := 0; ; n++ {
		if n > len(data)+1 {
			t.Fatalf("more records (%d) than bytes (%d)", n, len(data))
		}
		rec, err := f.Next()
		if err == io.EOF {
			break
		}
		var re *RecordError
		if errors.As(err, &re) {
			if re.Line < 1 || re.Reason == "" {
				t.Fatalf("record error without a line or reason: %+v", re)
			}
			continue
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Reason == "" {
				t.Fatalf("Next: %v (%T) is not a FileError", err, err)
			}
			if _, again := f.Next(); again != err {
				t.Fatalf("Next after a fatal error = %v, want %v again", again, err)
			}
			break
		}
		if len(rec.Fields) != width {
			t.Fatalf("record on line %d has %d fields, header %d", rec.Line, len(rec.Fields), width)
		}
		if rec.Line <= last {
			t.Fatalf("record on line %d after line %d", rec.Line, last)
		}
		last = rec.Line
	}
	if enc := f.Info().Encoding; f.Info().Format != FormatXLSX && enc != EncodingUTF8 && enc != EncodingWindows1252 && enc != EncodingISO88591 {
		t.Fatalf("encoding %q", enc)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("sku;qty\nA;1\n"), uint8(0), "")
	f.Fuzz(func(t *testing.T, data []byte, enc uint8, delim string) {
		if _, err := ParseDelimiter(delim); err != nil {
			delim = ""
		}
		checkFile(t, data, Options{Format: FormatCSV, Encoding: encodings[int(enc)%len(encodings)], Delimiter: delim})
	})
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`[{"sku":"A","qty":1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFile(t, data, Options{Format: FormatJSON})
	})
}

// FuzzOpen lets the content choose the format (auto), XLSX included.
func FuzzOpen(f *testing.F) {
	f.Add([]byte("sku,qty\nA,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFile(t, data, Options{})
	})
}
