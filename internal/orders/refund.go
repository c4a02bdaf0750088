package orders

import "math/big"

// Refund arithmetic.
//
// What is still paid for a line, its total T less what it has refunded R, is
// spread over its open (not cancelled) units m as evenly as whole minor units
// allow: each open unit is worth (T−R)/m and the first (T−R)%m of them one
// minor unit more. Cancelling k units refunds the worth of the last k open
// units, [m−k, m).
//
// Exact. A refund is never more than T−R, so R never passes T; and cancelling
// the last open units refunds exactly T−R. A line cancelled in any number of
// steps therefore refunds exactly its total, and an order cancelled whole
// refunds exactly what was charged (shipping is refunded with the last line).
//
// Same as spreading the total. For a line whose quantity never grew this is
// the same as spreading T over all n units and taking cancelled units from the
// end (c cancelled: a refund of k units is the worth of units [n−c−k, n−c)).
// By induction R is the worth of the last c units, so T−R is the worth of the
// first m = n−c. With T = b·n + r (r < n) the first r units are worth b+1:
// if r < m, T−R = b·m + r spreads as b each and r of them b+1; if r ≥ m,
// T−R = (b+1)·m spreads as b+1 each. Either way every open unit keeps the
// worth it had. TestRefundSpreadMatchesTotalSpread checks this.
//
// After an increase. Adding a units (an edit) charges C for them and makes
// T grow by C and m by a. Because a refund is computed from what is still
// paid (T−R) and not from T over n, what the later cancellations refund sums
// to exactly T+C−R: everything charged for the line, less what was refunded
// before the increase. Nothing is ever refunded twice or left behind.
//
// The price of that is averaging: a line's discount is shared by all of its
// open units, including units added later at the full unit price. A line of 3
// at 10.00 with 1.00 off (29.00) grown to 4 (charged 10.00) is worth 39.00
// over 4 units, 9.75 each; taking the added unit back refunds 9.75, not
// 10.00. Refunding added units at what they were charged would need the
// history of every increase on the line (tranches), which the line does not
// keep; docs/orders.md shows the worked example.

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

// refundFor is what cancelling k more units of l refunds: the worth of the
// last k of its open units when what is still paid for it is spread over them.
func refundFor(l *Line, k int) int64 {
	open := l.Quantity - l.Cancelled
	if k <= 0 || open <= 0 {
		return 0
	}
	k = min(k, open)
	return unitsWorth(l.Total.Amount-l.Refunded.Amount, open, open-k, open)
}

// share is x × num / den rounded half up, computed exactly (0 when den ≤ 0).
// Amounts are non-negative here.
func share(x, num, den int64) int64 {
	if den <= 0 || x == 0 || num == 0 {
		return 0
	}
	var r big.Int
	r.Mul(big.NewInt(x), big.NewInt(num))
	r.Add(&r, big.NewInt(den/2))
	r.Quo(&r, big.NewInt(den))
	return r.Int64()
}
