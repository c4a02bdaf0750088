package orders

import (
	"testing"

	"pgregory.net/rapid"
)

// refundByTotalSpread is the refund rule as first written: the line's total
// spread over all its units, cancelled units taken from the end, and the last
// units refunding whatever is left.
func refundByTotalSpread(l *Line, k int) int64 {
	if l.Cancelled+k == l.Quantity {
		return l.Total.Amount - l.Refunded.Amount
	}
	n, c := l.Quantity, l.Cancelled
	return unitsWorth(l.Total.Amount, n, n-c-k, n-c)
}

// TestRefundSpreadMatchesTotalSpread: for lines whose quantity never grew,
// spreading what is still paid over the open units refunds exactly what
// spreading the total over all units did, step by step.
func TestRefundSpreadMatchesTotalSpread(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "n")
		l := &Line{Quantity: n}
		l.Total.Amount = rapid.Int64Range(0, 1_000_000).Draw(t, "total")
		for l.Cancelled < n {
			k := rapid.IntRange(1, n-l.Cancelled).Draw(t, "k")
			got, want := refundFor(l, k), refundByTotalSpread(l, k)
			if got != want {
				t.Fatalf("%d units of %+v: refund %d, the total-spread rule says %d", k, *l, got, want)
			}
			l.Cancelled += k
			l.Refunded.Amount += got
		}
		if l.Refunded != l.Total {
			t.Fatalf("refunded %d of %d", l.Refunded.Amount, l.Total.Amount)
		}
	})
}

// TestRefundsAfterIncreasesAreExact: with increases (charged at any amount)
// between cancellations, no refund is negative, a line never refunds more
// than it was charged, and a line cancelled whole refunds exactly what it was
// charged.
func TestRefundsAfterIncreasesAreExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := &Line{Quantity: rapid.IntRange(1, 20).Draw(t, "n")}
		l.Total.Amount = rapid.Int64Range(0, 100_000).Draw(t, "total")
		charged := l.Total.Amount
		for range rapid.IntRange(0, 12).Draw(t, "steps") {
			open := l.Quantity - l.Cancelled
			if open == 0 {
				break
			}
			if rapid.Bool().Draw(t, "grow") {
				a := rapid.IntRange(1, 10).Draw(t, "a")
				c := rapid.Int64Range(0, 10_000).Draw(t, "charge")
				l.Quantity += a
				l.Total.Amount += c
				charged += c
				continue
			}
			k := rapid.IntRange(1, open).Draw(t, "k")
			r := refundFor(l, k)
			if r < 0 || l.Refunded.Amount+r > charged {
				t.Fatalf("refund %d of %d units of %+v: negative or more than charged (%d)", r, k, *l, charged)
			}
			l.Cancelled += k
			l.Refunded.Amount += r
		}
		l.Refunded.Amount += refundFor(l, l.Quantity-l.Cancelled)
		l.Cancelled = l.Quantity
		if l.Refunded.Amount != charged {
			t.Fatalf("a fully cancelled line refunded %d, was charged %d", l.Refunded.Amount, charged)
		}
	})
}

func TestShareRoundsHalfUp(t *testing.T) {
	for _, c := range []struct{ x, num, den, want int64 }{
		{360, 4000, 1800, 800},
		{5, 1, 2, 3},   // 2.5 → 3
		{7, 1, 3, 2},   // 2.33 → 2
		{8, 1, 3, 3},   // 2.67 → 3
		{100, 5, 0, 0}, // no value: no tax
		{1_000_000_000_000_000, 1_000_000_000_000_000, 1_000_000_000_000_000, 1_000_000_000_000_000}, // no overflow
	} {
		if got := share(c.x, c.num, c.den); got != c.want {
			t.Errorf("share(%d, %d, %d) = %d, want %d", c.x, c.num, c.den, got, c.want)
		}
	}
}
