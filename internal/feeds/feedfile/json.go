package feedfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonSource reads a JSON array of objects, one element at a time, with
// json.Decoder tokens: the array is never held whole, and numbers stay text
// (UseNumber) so no cost passes through a float. The header is the keys of
// the first elements (up to 100, in order of appearance); a key seen only
// later is not a column.
type jsonSource struct {
	dec     *json.Decoder
	guard   *guard
	hdr     []string
	index   map[string]int
	pending []jsonElem // elements read ahead to learn the header
	n       int        // index of the last element read (1-based)
	between bool       // past the last element, reading the closing bracket
	done    bool
	err     error // a fatal error met while reading ahead, due after pending
	fields  []string
	point   []bool
}

// jsonElem is one element read ahead.
type jsonElem struct {
	line int
	keys []string
	vals []string
	nums []bool
	err  *RecordError
}

func newJSON(r io.Reader) (*jsonSource, error) {
	g := &guard{r: r}
	dec := json.NewDecoder(g)
	dec.UseNumber()
	g.offset = dec.InputOffset
	j := &jsonSource{dec: dec, guard: g, index: map[string]int{}}
	tok, err := dec.Token()
	if err != nil {
		return nil, j.fatal(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fileErr(0, "the JSON file must be an array of objects, like [{\"sku\":\"A1\",\"qty\":5}, …]")
	}
	start := dec.InputOffset()
	for len(j.pending) < jsonHeaderElements && dec.InputOffset()-start < jsonHeaderBytes && dec.More() {
		e, err := j.element(true)
		if err != nil {
			if len(j.pending) == 0 {
				return nil, err
			}
			// The file breaks within the first elements: give those, then
			// the error, as when it breaks later.
			j.err = err
			break
		}
		for _, k := range e.keys {
			if _, ok := j.index[k]; !ok {
				if len(j.hdr) == MaxColumns {
					return nil, fileErr(e.line, "the JSON objects have more than %d different keys", MaxColumns)
				}
				j.index[k] = len(j.hdr)
				j.hdr = append(j.hdr, k)
			}
		}
		j.pending = append(j.pending, e)
	}
	j.fields = make([]string, len(j.hdr))
	j.point = make([]bool, len(j.hdr))
	return j, nil
}

func (j *jsonSource) header() []string { return j.hdr }

func (j *jsonSource) close() error { return nil }

func (j *jsonSource) next(rec *Record) error {
	var e jsonElem
	switch {
	case len(j.pending) > 0:
		e = j.pending[0]
		j.pending[0] = jsonElem{}
		j.pending = j.pending[1:]
	case j.err != nil:
		return j.err
	case j.done:
		return io.EOF
	case j.dec.More():
		var err error
		if e, err = j.element(false); err != nil {
			return err
		}
	default:
		if err := j.end(); err != nil {
			return err
		}
		return io.EOF
	}
	if e.err != nil {
		return e.err
	}
	clear(j.fields)
	clear(j.point)
	for i, k := range e.keys {
		if c, ok := j.index[k]; ok {
			j.fields[c], j.point[c] = e.vals[i], e.nums[i]
		}
	}
	rec.Line, rec.Fields, rec.pointDecimal = e.line, j.fields, j.point
	return nil
}

// end reads the closing bracket and checks nothing follows it.
func (j *jsonSource) end() error {
	j.done, j.between = true, true
	if _, err := j.dec.Token(); err != nil {
		return j.fatal(err)
	}
	if tok, err := j.dec.Token(); err != io.EOF {
		if err != nil {
			return j.fatal(err)
		}
		return fileErr(0, "there is more after the end of the JSON array (%v); a feed is one array", tok)
	}
	return nil
}

// element reads the next element of the array. Keys not in the header are
// skipped unless ahead is set (the header is being learnt). A problem with
// the element alone is its err; a broken file is the error.
func (j *jsonSource) element(ahead bool) (jsonElem, error) {
	j.n++
	e := jsonElem{line: j.n}
	tok, err := j.dec.Token()
	if err != nil {
		return e, j.fatal(err)
	}
	d, isDelim := tok.(json.Delim)
	switch {
	case isDelim && d == '[':
		if err := j.skip(); err != nil {
			return e, err
		}
		e.err = &RecordError{Line: e.line, Value: "[…]", Reason: fmt.Sprintf("element %d is a list, not an object", e.line)}
		return e, nil
	case !isDelim:
		e.err = &RecordError{Line: e.line, Value: Short(fmt.Sprint(tok)), Reason: fmt.Sprintf("element %d is %s, not an object", e.line, kindOf(tok))}
		return e, nil
	}
	for j.dec.More() {
		kt, err := j.dec.Token()
		if err != nil {
			return e, j.fatal(err)
		}
		key, _ := kt.(string)
		key = strings.TrimSpace(key)
		vt, err := j.dec.Token()
		if err != nil {
			return e, j.fatal(err)
		}
		var val string
		var num bool
		switch v := vt.(type) {
		case json.Delim:
			if err := j.skip(); err != nil {
				return e, err
			}
			if e.err == nil {
				shown, what := "{…}", "an object"
				if v == '[' {
					shown, what = "[…]", "a list"
				}
				e.err = &RecordError{Line: e.line, Column: key, Value: shown,
					Reason: fmt.Sprintf("the value of %q is %s; feed values must be text, numbers, true/false or null", key, what)}
			}
			// The key is still a column of the header.
		case string:
			val = v
		case json.Number:
			val, num = string(v), true
		case bool:
			val = fmt.Sprint(v)
		case nil:
			val = ""
		}
		if !ahead {
			if _, ok := j.index[key]; !ok {
				continue
			}
		} else if len(e.keys) == MaxColumns {
			return e, fileErr(e.line, "element %d has more than %d keys", e.line, MaxColumns)
		}
		e.keys = append(e.keys, key)
		e.vals = append(e.vals, val)
		e.nums = append(e.nums, num)
	}
	if _, err := j.dec.Token(); err != nil { // the closing brace
		return e, j.fatal(err)
	}
	return e, nil
}

// skip reads past the rest of a nested value whose opening delimiter was
// just read.
func (j *jsonSource) skip() error {
	for depth := 1; depth > 0; {
		tok, err := j.dec.Token()
		if err != nil {
			return j.fatal(err)
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '[' || d == '{' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// fatal turns a decoder error into the file's error.
func (j *jsonSource) fatal(err error) error {
	var se *json.SyntaxError
	where := "at its start"
	switch {
	case j.between:
		where = fmt.Sprintf("after element %d", j.n)
	case j.n > 0:
		where = fmt.Sprintf("in element %d", j.n)
	}
	switch {
	case errors.Is(err, errRecordTooLong):
		return fileErr(j.n, "a JSON value %s is longer than %d KiB", where, MaxRecordBytes>>10)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		if j.n == 0 && j.dec.InputOffset() == 0 {
			return fileErr(0, "the file is empty")
		}
		return fileErr(j.n, "the JSON ends unexpectedly %s (byte %d): the file is truncated", where, j.dec.InputOffset())
	case errors.As(err, &se):
		return fileErr(j.n, "the JSON is malformed %s (byte %d): %s", where, se.Offset, se.Error())
	}
	return fmt.Errorf("read feed file: %w", err)
}

func kindOf(tok json.Token) string {
	switch tok.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true/false"
	case nil:
		return "null"
	}
	return "not an object"
}
