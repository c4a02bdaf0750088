package orders

// Refund arithmetic. A line's total is spread over its units as evenly as
// whole minor units allow: with total T over n units, every unit is worth
// T/n and the first T%n units one minor unit more. Cancelled units are taken
// from the end of the line, so a refund of k units when c are already
// cancelled is the worth of units [n−c−k, n−c). The last units of a line to
// be cancelled refund whatever the line has not refunded yet, so a line
// cancelled in any number of steps refunds exactly its total, and an order
// cancelled whole refunds exactly what was charged (shipping is refunded with
// the last line).

// unitsWorth is the worth of units [from, to) of a line of n units totalling t.
func unitsWorth(t int64, n, from, to int) int64 {
	if n <= 0 || to <= from {
		return 0
	}
	base, rem := t/int64(n), int(t%int64(n))
	sum := base * int64(to-from)
	if extra := min(to, rem) - from; extra > 0 {
		sum += int64(extra)
	}
	return sum
}

// refundFor is what cancelling k more units of l refunds.
func refundFor(l *Line, k int) int64 {
	if k <= 0 {
		return 0
	}
	if l.Cancelled+k == l.Quantity {
		return l.Total.Amount - l.Refunded.Amount
	}
	n, c := l.Quantity, l.Cancelled
	return unitsWorth(l.Total.Amount, n, n-c-k, n-c)
}
