package feedfile

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource streams one sheet of a workbook with excelize's row iterator
// (f.Rows): cells come as displayed (number formats applied), rows one at a
// time. The header is the first row with a value in it.
type xlsxSource struct {
	f      *excelize.File
	rows   *excelize.Rows
	sheet  string
	hdr    []string
	row    int // row number of the last row read
	fields []string
}

// unzipLimit bounds the unpacked size of a workbook (a ZIP bomb stops here).
const unzipLimit = 1 << 30

func newXLSX(r io.Reader, sheet string) (*xlsxSource, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxWorkbookBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read feed file: %w", err)
	}
	if len(b) > MaxWorkbookBytes {
		return nil, fileErr(0, "the workbook is larger than %d MiB; export the sheet as CSV instead", MaxWorkbookBytes>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: unzipLimit})
	if err != nil {
		return nil, fileErr(0, "the file is a ZIP archive but not a readable XLSX workbook (%v)", err)
	}
	x := &xlsxSource{f: f}
	if err := x.open(sheet); err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxSource) open(sheet string) error {
	sheets := x.f.GetSheetList()
	if len(sheets) == 0 {
		return fileErr(0, "the file is a ZIP archive but not an XLSX workbook: it has no worksheets")
	}
	x.sheet = sheets[0]
	if sheet != "" {
		x.sheet = ""
		for _, s := range sheets {
			if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(sheet)) {
				x.sheet = s
				break
			}
		}
		if x.sheet == "" {
			return fileErr(0, "the workbook has no sheet %q; its sheets are: %s", sheet, strings.Join(sheets, ", "))
		}
	}
	rows, err := x.f.Rows(x.sheet)
	if err != nil {
		return fileErr(0, "cannot read sheet %q: %v", x.sheet, err)
	}
	x.rows = rows
	for {
		cells, err := x.nextRow()
		if err != nil {
			if err == io.EOF {
				return fileErr(0, "sheet %q is empty; its first row must name the columns", x.sheet)
			}
			return err
		}
		if blankFrom(cells, 0) {
			continue
		}
		if len(cells) > MaxColumns {
			return fileErr(x.row, "the header has %d columns; at most %d are read", len(cells), MaxColumns)
		}
		x.hdr = make([]string, len(cells))
		for i, c := range cells {
			x.hdr[i] = strings.TrimSpace(c)
		}
		x.fields = make([]string, len(x.hdr))
		return nil
	}
}

// nextRow returns the next row's cells; rows.Next yields every row number,
// empty ones included, so counting calls gives the row number.
func (x *xlsxSource) nextRow() ([]string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, fileErr(x.row+1, "sheet %q cannot be read: %v", x.sheet, err)
		}
		return nil, io.EOF
	}
	x.row++
	cells, err := x.rows.Columns()
	if err != nil {
		return nil, fileErr(x.row, "sheet %q cannot be read: %v", x.sheet, err)
	}
	return cells, nil
}

func (x *xlsxSource) header() []string { return x.hdr }

func (x *xlsxSource) next(rec *Record) error {
	cells, err := x.nextRow()
	if err != nil {
		return err
	}
	// A cell right of the header (a note beside the table) is not a
	// column; a short row has blank cells at its end.
	clear(x.fields)
	copy(x.fields, cells)
	rec.Line, rec.Fields, rec.allPointDecimal = x.row, x.fields, true
	return nil
}

func (x *xlsxSource) close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}
