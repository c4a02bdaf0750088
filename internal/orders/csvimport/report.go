package csvimport

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// ReportWriter writes results as CSV, one row per order, for a person to
// open next to the import file: order_ref, channel, outcome, number, state,
// first_line, last_line, problems, warnings, holds (several problems in one
// cell are separated by " | ").
type ReportWriter struct{ w *csv.Writer }

// NewReportWriter writes the header row to w.
func NewReportWriter(w io.Writer) (*ReportWriter, error) {
	rw := &ReportWriter{w: csv.NewWriter(w)}
	err := rw.w.Write([]string{"order_ref", "channel", "outcome", "number", "state", "first_line", "last_line", "problems", "warnings", "holds"})
	return rw, err
}

// Write writes one result.
func (rw *ReportWriter) Write(r Result) error {
	number := ""
	if r.Number != 0 {
		number = strconv.FormatInt(r.Number, 10)
	}
	return rw.w.Write([]string{r.Ref, r.Channel, string(r.Outcome), number, string(r.State),
		strconv.Itoa(r.FirstLine), strconv.Itoa(r.LastLine), joinProblems(r.Problems), joinProblems(r.Warnings), strings.Join(r.Holds, " | ")})
}

// Flush writes any buffered rows and returns the first write error.
func (rw *ReportWriter) Flush() error {
	rw.w.Flush()
	return rw.w.Error()
}

func joinProblems(ps []Problem) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " | ")
}
