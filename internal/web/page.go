package web

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// ListParams are the query parameters every list endpoint takes. Lists are
// paginated by keyset: pass the previous page's "next" as "after".
type ListParams struct {
	Limit int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Items per page"`
	After string `query:"after" doc:"Cursor from the previous page's next field"`
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T    `json:"items" nullable:"false"`
	Next  string `json:"next,omitempty" doc:"Cursor for the next page; absent on the last page"`
}

// ListOutput wraps a page as a huma response body.
type ListOutput[T any] struct {
	Body Page[T]
}

// EncodeCursor turns the sort key of the last item of a page into an opaque cursor.
func EncodeCursor(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into key. An empty cursor
// leaves key unchanged.
func DecodeCursor(cursor string, key any) error {
	if cursor == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, key)
	}
	if err != nil {
		return apperr.InvalidField("query.after", "%s", fmt.Sprintf("cursor %q is not one this API returned", cursor))
	}
	return nil
}
