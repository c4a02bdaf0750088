package pricing

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestDocWorkedExample recomputes the worked example of docs/pricing.md and
// checks that the document shows the code's numbers.
func TestDocWorkedExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/pricing.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start, end := strings.Index(doc, "<!-- worked-example:start -->"), strings.Index(doc, "<!-- worked-example:end -->")
	if start < 0 || end < start {
		t.Fatal("docs/pricing.md lacks the worked-example markers")
	}
	table := doc[start:end]
	s := workedExample()
	q, err := Compute(eur(420), s)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"| cost + shipping + packaging + fixed fee | 4.20 + 3.50 + 0.40 + 0.25 = " + q.Base.String() + " |",
		fmt.Sprintf("| exact price | 8.35 / 0.671 = %s… EUR |", q.Unrounded),
		"| rounded up to `.99` | " + q.Rounded.String() + " |",
		"| clamped to 9.99 – 49.99 | " + q.Price.String() + " |",
		"= " + q.Margin.String() + "% |",
	}
	for _, w := range want {
		if !strings.Contains(table, w) {
			t.Errorf("the worked example lacks %q", w)
		}
	}
	for _, e := range []struct {
		ending Ending
		text   func(Quote) string
	}{
		{EndingNone, func(q Quote) string { return fmt.Sprintf("%s (`none`, margin %s%%)", q.Price, q.Margin) }},
		{Ending90, func(q Quote) string { return fmt.Sprintf("%s (`.90`)", q.Price) }},
		{EndingWhole, func(q Quote) string { return fmt.Sprintf("%s\n(`whole`)", q.Price) }},
	} {
		s.Ending = e.ending
		q, err := Compute(eur(420), s)
		if err != nil {
			t.Fatal(err)
		}
		if w := e.text(q); !strings.Contains(doc, w) {
			t.Errorf("docs/pricing.md lacks %q for ending %s", w, e.ending)
		}
	}
}
