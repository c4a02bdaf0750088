package inventory

// SetLowStockSortLimit lets tests drive both low-stock plans of List on a
// small catalog; it returns a function that restores the limit.
func SetLowStockSortLimit(n int) (restore func()) {
	old := lowStockSortLimit
	lowStockSortLimit = n
	return func() { lowStockSortLimit = old }
}
