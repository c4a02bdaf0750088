package orders

// Internals the external tests check the database against.
var (
	// LineStateOf derives a line's state from its units (lineState).
	LineStateOf = lineState
	// DeriveState derives an order's state from its lines and open holds (deriveState).
	DeriveState = deriveState
)
