package main

import (
	"context"
	"io"
)

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return usageError{"token: not yet available"}
}
