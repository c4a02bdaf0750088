package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/danielgtaylor/huma/v2"
)

// jsonFormats is huma's JSON format with syntax errors that say where the
// body is broken (line and column), so a client with a malformed request
// body gets a 400 that points at the mistake.
var jsonFormats = map[string]huma.Format{
	"application/json": {Marshal: huma.DefaultJSONFormat.Marshal, Unmarshal: unmarshalJSON},
	"json":             {Marshal: huma.DefaultJSONFormat.Marshal, Unmarshal: unmarshalJSON},
}

func unmarshalJSON(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := textPosition(data, se.Offset)
		return fmt.Errorf("malformed JSON at line %d, column %d: %v", line, col, se)
	}
	return err
}

// textPosition turns a byte offset into a 1-based line and column.
func textPosition(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}
