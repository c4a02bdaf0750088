package orders

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const ordersDoc = "../../docs/orders.md"

var backticked = regexp.MustCompile("`([a-z_]+)`")

// docTable reads the state table between <!-- name:start --> and
// <!-- name:end --> in doc: the states in table order and where each may move.
func docTable(t *testing.T, doc, name string) ([]string, map[string][]string) {
	t.Helper()
	start, end := "<!-- "+name+":start -->", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %s / %s markers", ordersDoc, start, end)
	}
	var order []string
	moves := map[string][]string{}
	for _, row := range strings.Split(strings.TrimSpace(doc[i+len(start):j]), "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(row), "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("%s: row %q of %s has %d cells, want 3 (state | meaning | moves to)", ordersDoc, row, name, len(cells))
		}
		m := backticked.FindStringSubmatch(cells[0])
		if m == nil {
			continue // the header and its rule
		}
		state := m[1]
		if _, dup := moves[state]; dup {
			t.Errorf("%s: %s lists %s twice", ordersDoc, name, state)
		}
		order = append(order, state)
		moves[state] = []string{}
		for _, to := range backticked.FindAllStringSubmatch(cells[2], -1) {
			moves[state] = append(moves[state], to[1])
		}
		if len(moves[state]) == 0 && strings.TrimSpace(cells[2]) != "—" {
			t.Errorf("%s: %s row %s: moves to %q, want states in backticks or — for none", ordersDoc, name, state, cells[2])
		}
	}
	return order, moves
}

// docDiagrams reads the edges of each mermaid state diagram in doc, in order,
// leaving out the start and end markers [*].
func docDiagrams(doc string) []map[string][]string {
	var out []map[string][]string
	for _, block := range strings.Split(doc, "```mermaid")[1:] {
		block, _, _ = strings.Cut(block, "```")
		edges := map[string][]string{}
		for _, line := range strings.Split(block, "\n") {
			from, to, ok := strings.Cut(strings.TrimSpace(line), " --> ")
			if !ok || from == "[*]" || to == "[*]" {
				continue
			}
			edges[from] = append(edges[from], to)
		}
		out = append(out, edges)
	}
	return out
}

// sameMoves compares documented moves with the code's, naming every difference.
func sameMoves[S ~string](t *testing.T, what string, states []S, code map[S][]S, doc map[string][]string) {
	t.Helper()
	for _, s := range states {
		want := make([]string, 0, len(code[s]))
		for _, to := range code[s] {
			want = append(want, string(to))
		}
		got := doc[string(s)]
		slices.Sort(want)
		got = slices.Sorted(slices.Values(got))
		if !slices.Equal(got, want) {
			t.Errorf("%s: %s moves to %v in docs/orders.md, %v in state.go", what, s, got, want)
		}
	}
	for s := range doc {
		if !slices.Contains(states, S(s)) {
			t.Errorf("%s: docs/orders.md has a state %q the code does not know", what, s)
		}
	}
}

// TestOrdersDocMatchesStateMachines keeps the transition tables and the
// diagrams in docs/orders.md equal to orderTransitions and lineTransitions.
func TestOrdersDocMatchesStateMachines(t *testing.T) {
	b, err := os.ReadFile(ordersDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	orderStates, orderMoves := docTable(t, doc, "order-states")
	lineStates, lineMoves := docTable(t, doc, "line-states")
	if got, want := fmt.Sprint(orderStates), fmt.Sprint(States()); got != want {
		t.Errorf("order table lists %s, want every state in lifecycle order %s", got, want)
	}
	if got, want := fmt.Sprint(lineStates), fmt.Sprint(LineStates()); got != want {
		t.Errorf("line table lists %s, want every state in lifecycle order %s", got, want)
	}
	sameMoves(t, "order table", States(), orderTransitions, orderMoves)
	sameMoves(t, "line table", LineStates(), lineTransitions, lineMoves)

	diagrams := docDiagrams(doc)
	if len(diagrams) != 2 {
		t.Fatalf("docs/orders.md has %d mermaid diagrams, want 2 (the order, then the line)", len(diagrams))
	}
	sameMoves(t, "order diagram", States(), orderTransitions, diagrams[0])
	sameMoves(t, "line diagram", LineStates(), lineTransitions, diagrams[1])
}
