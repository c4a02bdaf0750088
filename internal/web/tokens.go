package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
)

type tokenIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type tokenCreateInput struct {
	Body struct {
		Name       string     `json:"name" maxLength:"100" doc:"What the token is for, e.g. 'shop sync'"`
		Role       auth.Role  `json:"role,omitempty" enum:"owner,admin,operations,support,finance,read_only,supplier" doc:"The role the token acts with; only owners create owner tokens. supplier (the default with supplier_id): a supplier token"`
		ExpiresAt  *time.Time `json:"expires_at,omitempty" doc:"When the token stops working; never if absent"`
		SupplierID int64      `json:"supplier_id,omitempty" minimum:"1" doc:"Makes a supplier token: it acts for this supplier on the supplier endpoints (/api/v1/supplier/...) only, never on staff routes"`
	}
}

type supplierTokenCreateInput struct {
	Body struct {
		Name      string     `json:"name" maxLength:"100" doc:"What the token is for, e.g. 'stock export'"`
		ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the token stops working; never if absent"`
	}
}

// createdToken is a new token with its secret, shown this once.
type createdToken struct {
	auth.Token
	Secret string `json:"token" doc:"The token to send as Authorization: Bearer TOKEN. Shown only now; store it safely."`
}

type tokenCreateOutput struct{ Body createdToken }

type tokenOutput struct{ Body *auth.Token }

func (s *Server) registerTokens() {
	operation(s, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/tokens",
		Summary: "List API tokens", Description: "Every token, revoked ones too, in id order. Secrets are never shown again.", Tags: []string{"Tokens"}},
		auth.TokensWrite, s.listTokens)
	operation(s, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/tokens", DefaultStatus: http.StatusCreated,
		Summary: "Create an API token", Description: "Returns the token once; only its hash is stored.", Tags: []string{"Tokens"}},
		auth.TokensWrite, s.createToken)
	operation(s, huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/tokens/{id}",
		Summary: "Revoke an API token", Description: "The token stops working at once. Returns the revoked token.", Tags: []string{"Tokens"}},
		auth.TokensWrite, s.revokeToken)
	supplierTags := []string{"Supplier portal"}
	operation(s, huma.Operation{OperationID: "list-supplier-tokens", Method: http.MethodGet, Path: "/supplier/tokens",
		Summary: "List your supplier's API tokens (supplier users)", Tags: supplierTags,
		Description: "The tokens bound to the caller's supplier, revoked ones too, in id order."},
		auth.SupplierPortal, s.listSupplierTokens)
	operation(s, huma.Operation{OperationID: "create-supplier-token", Method: http.MethodPost, Path: "/supplier/tokens", DefaultStatus: http.StatusCreated,
		Summary: "Create an API token for your supplier (supplier users)", Tags: supplierTags,
		Description: "A token that acts for the caller's supplier on the supplier endpoints only (such as the feed push). " +
			"Only a supplier's user, logged in, creates one: a supplier token cannot. Returns the token once."},
		auth.SupplierPortal, s.createSupplierToken)
	operation(s, huma.Operation{OperationID: "revoke-supplier-token", Method: http.MethodDelete, Path: "/supplier/tokens/{id}",
		Summary: "Revoke one of your supplier's API tokens (supplier users)", Tags: supplierTags,
		Description: "The token stops working at once. Returns the revoked token."},
		auth.SupplierPortal, s.revokeSupplierToken)
}

// revokeSupplierToken revokes a token of the caller's supplier; another
// supplier's token, or a staff one, is not found (its existence is not
// the caller's business).
func (s *Server) revokeSupplierToken(ctx context.Context, in *tokenIDInput) (*tokenOutput, error) {
	sup, err := callerSupplier(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.cfg.Auth.GetToken(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if t.SupplierID == nil || *t.SupplierID != sup {
		return nil, apperr.New(apperr.NotFound, "token %d not found", in.ID)
	}
	return s.revokeToken(ctx, in)
}

// callerSupplier is the supplier of a supplier user or token in ctx.
func callerSupplier(ctx context.Context) (int64, error) {
	p := auth.FromContext(ctx)
	if p == nil || p.Role != auth.Supplier || p.SupplierID == 0 {
		return 0, apperr.New(apperr.Forbidden, "only a supplier's own user or token may do this")
	}
	return p.SupplierID, nil
}

func (s *Server) listSupplierTokens(ctx context.Context, in *ListParams) (*ListOutput[auth.Token], error) {
	sup, err := callerSupplier(ctx)
	if err != nil {
		return nil, err
	}
	var after int64
	if err := DecodeCursor(in.After, &after); err != nil {
		return nil, err
	}
	tokens, err := s.cfg.Auth.SupplierTokens(ctx, sup, after, in.Limit+1)
	if err != nil {
		return nil, err
	}
	out := &ListOutput[auth.Token]{Body: Page[auth.Token]{Items: tokens}}
	if len(tokens) > in.Limit {
		out.Body.Items = tokens[:in.Limit]
		out.Body.Next = EncodeCursor(tokens[in.Limit-1].ID)
	}
	return out, nil
}

func (s *Server) createSupplierToken(ctx context.Context, in *supplierTokenCreateInput) (*tokenCreateOutput, error) {
	sup, err := callerSupplier(ctx)
	if err != nil {
		return nil, err
	}
	secret, t, err := s.cfg.Auth.CreateToken(ctx, auth.NewToken{Name: in.Body.Name, Role: auth.Supplier, SupplierID: sup, ExpiresAt: in.Body.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return &tokenCreateOutput{Body: createdToken{Token: *t, Secret: secret}}, nil
}

func (s *Server) listTokens(ctx context.Context, in *ListParams) (*ListOutput[auth.Token], error) {
	var after int64
	if err := DecodeCursor(in.After, &after); err != nil {
		return nil, err
	}
	tokens, err := s.cfg.Auth.ListTokens(ctx, after, in.Limit+1)
	if err != nil {
		return nil, err
	}
	out := &ListOutput[auth.Token]{Body: Page[auth.Token]{Items: tokens}}
	if len(tokens) > in.Limit {
		out.Body.Items = tokens[:in.Limit]
		out.Body.Next = EncodeCursor(tokens[in.Limit-1].ID)
	}
	return out, nil
}

func (s *Server) createToken(ctx context.Context, in *tokenCreateInput) (*tokenCreateOutput, error) {
	secret, t, err := s.cfg.Auth.CreateToken(ctx, auth.NewToken{Name: in.Body.Name, Role: in.Body.Role, ExpiresAt: in.Body.ExpiresAt,
		SupplierID: in.Body.SupplierID})
	if err != nil {
		return nil, err
	}
	return &tokenCreateOutput{Body: createdToken{Token: *t, Secret: secret}}, nil
}

func (s *Server) revokeToken(ctx context.Context, in *tokenIDInput) (*tokenOutput, error) {
	t, err := s.cfg.Auth.RevokeToken(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &tokenOutput{Body: t}, nil
}
