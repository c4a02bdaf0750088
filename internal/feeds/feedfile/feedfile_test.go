package feedfile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orderly-oms/orderly/internal/apperr"
)

// result is what reading a whole file gave.
type result struct {
	Info    Info
	Header  []string
	Records []rec
	Errors  []string // record errors, as "line N[, column C]: reason"
}

type rec struct {
	Line   int
	Fields []string
}

// readAll reads a file to its end; a fatal error fails the test.
func readAll(t *testing.T, data []byte, opts Options) result {
	t.Helper()
	res, err := tryReadAll(data, opts)
	if err != nil {
		t.Fatalf("reading the file: %v", err)
	}
	return res
}

func tryReadAll(data []byte, opts Options) (result, error) {
	f, err := Open(bytes.NewReader(data), opts)
	if err != nil {
		return result{}, err
	}
	defer f.Close()
	res := result{Header: slices.Clone(f.Header())}
	for {
		r, err := f.Next()
		if err == io.EOF {
			break
		}
		var re *RecordError
		if errors.As(err, &re) {
			res.Errors = append(res.Errors, re.Error())
			continue
		}
		if err != nil {
			return res, err
		}
		res.Records = append(res.Records, rec{r.Line, slices.Clone(r.Fields)})
	}
	res.Info = f.Info()
	return res, nil
}

func TestCSVShapes(t *testing.T) {
	tests := []struct {
		name string
		data string
		opts Options
		want result
	}{{
		name: "comma",
		data: "sku,qty\nA1,5\nB2,0\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ","}, Header: []string{"sku", "qty"},
			Records: []rec{{2, []string{"A1", "5"}}, {3, []string{"B2", "0"}}}},
	}, {
		name: "semicolon with quoted delimiter and a value over two lines",
		data: "Codice;Descrizione;Quantità;Prezzo\r\nCF-1;\"Caffè; macinato\";12;1.234,56\r\nCF-2;\"Tè\r\nverde\";3;2,50\r\nCF-3;Orzo;0;0,99\r\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ";"}, Header: []string{"Codice", "Descrizione", "Quantità", "Prezzo"},
			Records: []rec{
				{2, []string{"CF-1", "Caffè; macinato", "12", "1.234,56"}},
				{3, []string{"CF-2", "Tè\nverde", "3", "2,50"}},
				{5, []string{"CF-3", "Orzo", "0", "0,99"}},
			}},
	}, {
		name: "tab detected",
		data: "sku\tqty\tcost\nA\t1\t2.50\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: "tab"}, Header: []string{"sku", "qty", "cost"},
			Records: []rec{{2, []string{"A", "1", "2.50"}}}},
	}, {
		name: "tsv format with commas in values",
		data: "sku\tname\nA\tMug, large\n",
		opts: Options{Format: "tsv"},
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: "tab"}, Header: []string{"sku", "name"},
			Records: []rec{{2, []string{"A", "Mug, large"}}}},
	}, {
		name: "pipe",
		data: "sku|qty\nA|1\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: "|"}, Header: []string{"sku", "qty"},
			Records: []rec{{2, []string{"A", "1"}}}},
	}, {
		name: "given delimiter wins over detection",
		data: "sku;name,qty\nA;b,1\n",
		opts: Options{Delimiter: ","},
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ","}, Header: []string{"sku;name", "qty"},
			Records: []rec{{2, []string{"A;b", "1"}}}},
	}, {
		name: "BOM and padded header",
		data: "\ufeff SKU , Qty \nA,1\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ","}, Header: []string{"SKU", "Qty"},
			Records: []rec{{2, []string{"A", "1"}}}},
	}, {
		name: "blank lines before the header and between rows keep physical line numbers",
		data: "\n\nsku,qty\n\nA,1\n\n\nB,2",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ","}, Header: []string{"sku", "qty"},
			Records: []rec{{5, []string{"A", "1"}}, {8, []string{"B", "2"}}}},
	}, {
		name: "ragged rows are row errors, trailing empty values are dropped",
		data: "sku,qty,cost\nA,1,2\nB,1\nC,1,2,\nD,1,2,x\nE,3,4\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ","}, Header: []string{"sku", "qty", "cost"},
			Records: []rec{{2, []string{"A", "1", "2"}}, {4, []string{"C", "1", "2"}}, {6, []string{"E", "3", "4"}}},
			Errors: []string{
				"line 3: the row has 2 values but the header has 3 columns (a value with an unquoted comma in it? put such values in double quotes)",
				"line 5: the row has 4 values but the header has 3 columns (a value with an unquoted comma in it? put such values in double quotes)",
			}},
	}, {
		name: "a bare quote spoils one row only",
		data: "sku,name\nA,5\" screen\nB,ok\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ","}, Header: []string{"sku", "name"},
			Records: []rec{{3, []string{"B", "ok"}}},
			Errors:  []string{`line 2: a " in an unquoted value at character 4 of line 2 (put the value in double quotes and double the " inside it, like "5"" screen")`}},
	}, {
		name: "a quote never closed ends the file as one bad row",
		data: "sku,name\nA,ok\nB,\"open\nC,x\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ","}, Header: []string{"sku", "name"},
			Records: []rec{{2, []string{"A", "ok"}}},
			Errors:  []string{`line 3: a quoted value starting on line 3 is not closed, or has text after its closing quote (a " inside a quoted value must be doubled as "")`}},
	}, {
		name: "header only",
		data: "sku,qty\n",
		want: result{Info: Info{Format: "csv", Encoding: "utf-8", Delimiter: ","}, Header: []string{"sku", "qty"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, []byte(tt.data), tt.opts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// latin1 encodes s (whose runes are all below U+0100) in ISO-8859-1.
func latin1(s string) []byte {
	var b []byte
	for _, r := range s {
		if r > 0xFF {
			panic("not latin-1: " + string(r))
		}
		b = append(b, byte(r))
	}
	return b
}

func TestEncodings(t *testing.T) {
	caffe := latin1("sku;nome;qty\nCF-1;Caffè;3\nTE-1;Tè verde;1\n")
	euro := append([]byte("sku;note\nE1;"), 0x80, ' ', '5', 0x92, 's', '\n') // "€ 5's" with a curly apostrophe
	tests := []struct {
		name     string
		data     []byte
		opts     Options
		encoding string
		want     [][]string
	}{
		{"latin-1 detected", caffe, Options{}, "windows-1252", [][]string{{"CF-1", "Caffè", "3"}, {"TE-1", "Tè verde", "1"}}},
		{"latin-1 given", caffe, Options{Encoding: "iso-8859-1"}, "iso-8859-1", [][]string{{"CF-1", "Caffè", "3"}, {"TE-1", "Tè verde", "1"}}},
		{"latin-1 alias", caffe, Options{Encoding: "latin1"}, "iso-8859-1", [][]string{{"CF-1", "Caffè", "3"}, {"TE-1", "Tè verde", "1"}}},
		{"windows-1252 euro detected", euro, Options{}, "windows-1252", [][]string{{"E1", "€ 5’s"}}},
		{"windows-1252 given", euro, Options{Encoding: "windows-1252"}, "windows-1252", [][]string{{"E1", "€ 5’s"}}},
		{"utf-8 detected", []byte("sku;nome\nCF-1;Caffè €\n"), Options{}, "utf-8", [][]string{{"CF-1", "Caffè €"}}},
		{"BOM beats a wrong setting", []byte("\ufeffsku;nome\nCF-1;Caffè\n"), Options{Encoding: "windows-1252"}, "utf-8", [][]string{{"CF-1", "Caffè"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, tt.data, tt.opts)
			var fields [][]string
			for _, r := range got.Records {
				fields = append(fields, r.Fields)
			}
			if diff := cmp.Diff(tt.want, fields); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if got.Info.Encoding != tt.encoding {
				t.Errorf("encoding %q, want %q", got.Info.Encoding, tt.encoding)
			}
		})
	}
}

// TestLateLatin1 is a long ASCII file whose first accented letter comes after
// the first 64 KiB: the auto rule decides there, and nothing before changes.
func TestLateLatin1(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("sku;name;qty\n")
	n := 0
	for b.Len() < 3*sniffBytes {
		n++
		fmt.Fprintf(&b, "SKU-%06d;Plain name %d;%d\n", n, n, n%50)
	}
	b.Write(latin1("CF-1;Caffè;7\n"))
	fmt.Fprintf(&b, "LAST;end;1\n")
	got := readAll(t, b.Bytes(), Options{})
	if len(got.Errors) > 0 || len(got.Records) != n+2 {
		t.Fatalf("%d records, %d errors (%v), want %d records", len(got.Records), len(got.Errors), got.Errors, n+2)
	}
	if r := got.Records[n]; r.Fields[1] != "Caffè" || r.Line != n+2 {
		t.Errorf("accented row = %+v, want Caffè on line %d", r, n+2)
	}
	if r := got.Records[n-1]; r.Fields[0] != fmt.Sprintf("SKU-%06d", n) {
		t.Errorf("row before it = %+v", r)
	}
	if got.Info.Encoding != "windows-1252" {
		t.Errorf("encoding %q, want windows-1252", got.Info.Encoding)
	}

	// The same file in UTF-8 stays UTF-8.
	utf := bytes.Replace(b.Bytes(), latin1("Caffè"), []byte("Caffè"), 1)
	got = readAll(t, utf, Options{})
	if r := got.Records[n]; r.Fields[1] != "Caffè" || got.Info.Encoding != "utf-8" {
		t.Errorf("utf-8: accented row = %+v, encoding %s", r, got.Info.Encoding)
	}
}

// TestAutoDecoderReadSizes: the auto rule gives the same text whether the
// decoded stream is read in one go or a byte at a time, and decides on the
// bytes around the first non-ASCII one, wherever it is.
func TestAutoDecoderReadSizes(t *testing.T) {
	pad := strings.Repeat("a", sniffBytes+10)
	tests := []struct {
		name     string
		data     []byte
		encoding string
		want     string
	}{
		{"late utf-8", []byte(pad + "Caffè €"), "utf-8", pad + "Caffè €"},
		{"late latin-1", append([]byte(pad+"Caff"), 0xE8, ' ', 0x80), "windows-1252", pad + "Caffè €"},
		{"late latin-1 as the last byte", append([]byte(pad), 0xE8), "windows-1252", pad + "è"},
		// Valid UTF-8 then, close behind, a Latin-1 byte: the bytes at hand
		// are not UTF-8, so the file is read as Windows-1252.
		{"mixed", append([]byte(pad+"è"), 0xE8), "windows-1252", pad + "Ã¨è"},
		// Valid UTF-8 and a Latin-1 byte far behind it: UTF-8, and the
		// stray byte stays (the feeds layer refuses such values).
		{"stray byte far behind", append([]byte(pad+"è"+strings.Repeat("b", 2*sniffBytes)), 0xE8), "utf-8", pad + "è" + strings.Repeat("b", 2*sniffBytes) + "\xE8"},
		{"ascii", []byte(pad), "utf-8", pad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 3, 4096, 1 << 20} {
				br := bufioReader(tt.data)
				head, err := br.Peek(sniffBytes)
				r, a := textReader(br, EncodingAuto, head, err != nil)
				var out []byte
				p := make([]byte, size)
				for {
					n, err := r.Read(p)
					out = append(out, p[:n]...)
					if err != nil {
						break
					}
				}
				if string(out) != tt.want {
					t.Errorf("read by %d: text ends %q, want %q", size, out[max(0, len(out)-12):], tt.want[max(0, len(tt.want)-12):])
				}
				if a.Encoding() != tt.encoding {
					t.Errorf("read by %d: encoding %s, want %s", size, a.Encoding(), tt.encoding)
				}
			}
		})
	}
}

func bufioReader(b []byte) *bufio.Reader {
	return bufio.NewReaderSize(bytes.NewReader(b), sniffBytes)
}

func TestJSON(t *testing.T) {
	data := `[
	  {"sku": "A1", "qty": 5, "cost": 12.50, "active": true, "note": null},
	  {"sku": "B2", "qty": "7", "cost": "1.234,50", "extra": {"x": 1}},
	  {"sku": "C3", "qty": 1e2, "late_key": "ignored"},
	  "not an object",
	  [1, 2],
	  {"sku": "D4", "tags": ["a", {"b": []}], "qty": 0},
	  {"qty": 3, "sku": " E5 "}
	]`
	got := readAll(t, []byte(data), Options{})
	want := result{
		Info:   Info{Format: "json", Encoding: "utf-8"},
		Header: []string{"sku", "qty", "cost", "active", "note", "extra", "late_key", "tags"},
		Records: []rec{
			{1, []string{"A1", "5", "12.50", "true", "", "", "", ""}},
			{3, []string{"C3", "1e2", "", "", "", "", "ignored", ""}},
			{7, []string{" E5 ", "3", "", "", "", "", "", ""}},
		},
		Errors: []string{
			`line 2, column extra: the value of "extra" is an object; feed values must be text, numbers, true/false or null`,
			`line 4: element 4 is a string, not an object`,
			`line 5: element 5 is a list, not an object`,
			`line 6, column tags: the value of "tags" is a list; feed values must be text, numbers, true/false or null`,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestJSONPointDecimal(t *testing.T) {
	f, err := Open(strings.NewReader(`[{"a": 1.5, "b": "1,5"}]`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !r.PointDecimal(0) || r.PointDecimal(1) || r.PointDecimal(7) {
		t.Errorf("PointDecimal = %v %v %v, want true false false", r.PointDecimal(0), r.PointDecimal(1), r.PointDecimal(7))
	}
}

// TestJSONHeaderLookahead: keys first seen after the lookahead are not
// columns; the lookahead's elements are returned in order.
func TestJSONHeaderLookahead(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := 1; i <= 150; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		if i == 120 {
			fmt.Fprintf(&b, `{"sku":"S%d","qty":%d,"new":"x"}`, i, i)
			continue
		}
		fmt.Fprintf(&b, `{"sku":"S%d","qty":%d}`, i, i)
	}
	b.WriteString("]")
	got := readAll(t, []byte(b.String()), Options{Format: "json"})
	if !slices.Equal(got.Header, []string{"sku", "qty"}) || len(got.Records) != 150 {
		t.Fatalf("header %v, %d records", got.Header, len(got.Records))
	}
	for i, r := range got.Records {
		if r.Line != i+1 || r.Fields[0] != fmt.Sprintf("S%d", i+1) {
			t.Fatalf("record %d = %+v", i, r)
		}
	}
}

func TestEmptyJSONArray(t *testing.T) {
	got := readAll(t, []byte(" [ ] "), Options{})
	if len(got.Header) != 0 || len(got.Records) != 0 {
		t.Errorf("got %+v", got)
	}
}

// zipOf returns a ZIP archive holding the named files.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBrokenFiles(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		opts Options
		want string // in the error
		line int
	}{
		{"empty", nil, Options{}, "the file is empty", 0},
		{"only blanks", []byte(" \r\n\n"), Options{}, "the file is empty", 0},
		{"binary", []byte("\x00\x01\x02garbage\x00"), Options{}, "binary, not text", 0},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), Options{}, "binary, not text", 0},
		{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...), Options{}, "Excel 97-2003", 0},
		{"gzip", []byte{0x1F, 0x8B, 8, 0, 0, 0}, Options{}, "gzip-compressed", 0},
		{"pdf", []byte("%PDF-1.7\n..."), Options{}, "PDF document", 0},
		{"utf-16", []byte{0xFF, 0xFE, 's', 0, 'k', 0}, Options{}, "UTF-16", 0},
		{"html", []byte("<!DOCTYPE html>\n<html><body>Login</body></html>"), Options{}, "HTML or XML page", 0},
		{"json object", []byte(`{"items": [{"sku": "A"}]}`), Options{}, "JSON object", 0},
		{"json format but csv text", []byte("sku,qty\n"), Options{Format: "json"}, "not a JSON array", 0},
		{"truncated json", []byte(`[{"sku": "A1", "qty": 5}, {"sku": "B2", "qt`), Options{}, "the JSON ends unexpectedly in element 2", 2},
		{"truncated json after a comma", []byte(`[{"sku": "A1", "qty": 5},`), Options{}, "the JSON ends unexpectedly in element 2", 2},
		{"truncated json after an element", []byte(`[{"sku": "A1", "qty": 5}`), Options{}, "the JSON ends unexpectedly after element 1", 1},
		{"malformed json", []byte(`[{"sku": "A1", "qty": 5}, {"sku" "B2"}]`), Options{}, "the JSON is malformed in element 2", 2},
		{"json after the array", []byte(`[{"sku": "A1"}] [{"sku": "B1"}]`), Options{}, "more after the end of the JSON array", 0},
		{"zip that is not xlsx", zipOf(t, map[string]string{"readme.txt": "hello"}), Options{}, "not a readable XLSX workbook", 0},
		{"empty zip", zipOf(t, nil), Options{}, "XLSX", 0},
		{"truncated zip", zipOf(t, map[string]string{"readme.txt": strings.Repeat("hello ", 100)})[:60], Options{}, "not a readable XLSX workbook", 0},
		{"xlsx format on text", []byte("sku,qty\nA,1\n"), Options{Format: "xlsx"}, "not an XLSX workbook", 0},
		{"zip with csv format", zipOf(t, map[string]string{"a": "b"}), Options{Format: "csv"}, "ZIP archive (an XLSX workbook?) but the feed's format is csv", 0},
		{"blank header", []byte(",,\nA,1,2\n"), Options{}, "names no columns", 1},
		{"malformed header", []byte("sku,\"qty\nA,1\n"), Options{}, "the header line is malformed", 1},
		{"unclosed quote longer than a record may be", append([]byte("sku,name\nA,\"open\n"), bytes.Repeat([]byte("more text, no quote\n"), MaxRecordBytes/10)...), Options{}, "the row after line 1 is longer than 1024 KiB", 2},
		{"one long line", bytes.Repeat([]byte("x"), 2*MaxRecordBytes), Options{}, "the header line is longer than 1024 KiB", 1},
		{"json value too long", []byte(`[{"sku": "` + strings.Repeat("x", 2*MaxRecordBytes) + `"}]`), Options{}, "longer than 1024 KiB", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tryReadAll(tt.data, tt.opts)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FileError", err, err)
			}
			if !strings.Contains(fe.Error(), tt.want) {
				t.Errorf("error %q does not say %q", fe.Error(), tt.want)
			}
			if fe.Line != tt.line {
				t.Errorf("error on line %d, want %d (%v)", fe.Line, tt.line, fe)
			}
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("code %s, want invalid", apperr.CodeOf(err))
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	for _, opts := range []Options{{Format: "xml"}, {Encoding: "utf-16"}, {Delimiter: "ab"}, {Delimiter: `"`}, {Delimiter: "x"}, {Format: "tsv", Delimiter: ";"}} {
		_, err := Open(strings.NewReader("a,b\n"), opts)
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("%+v: error %v, want invalid", opts, err)
		}
	}
}

// failingReader fails after giving some bytes: the failure is returned as is
// (wrapped), not as a FileError.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderFailure(t *testing.T) {
	boom := errors.New("connection reset")
	data := "sku,qty\n" + strings.Repeat("A,1\n", 30000)
	f, err := Open(&failingReader{data: []byte(data), err: boom}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err = f.Next()
		if err != nil {
			break
		}
	}
	var fe *FileError
	if !errors.Is(err, boom) || errors.As(err, &fe) {
		t.Fatalf("error %v, want the reader's error", err)
	}
	if _, again := f.Next(); again != err {
		t.Errorf("Next after a fatal error = %v, want the same error", again)
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := map[string]rune{
		"sku,qty,cost":                   ',',
		"sku;qty;cost":                   ';',
		"sku\tqty\tcost":                 '\t',
		"sku|qty|cost":                   '|',
		`"a;b","c;d";e`:                  ',',
		"sku;\"name, long\";qty":         ';',
		"\n\r\nsku;qty\na,b,c,d,e,f,g,h": ';',
		"sku":                            ',',
		"sku,qty;cost":                   ',',
	}
	for head, want := range tests {
		if got := detectDelimiter([]byte(head)); got != want {
			t.Errorf("detectDelimiter(%q) = %q, want %q", head, got, want)
		}
	}
}
