package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
)

type tokenIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type tokenCreateInput struct {
	Body struct {
		Name      string     `json:"name" maxLength:"100" doc:"What the token is for, e.g. 'shop sync'"`
		Role      auth.Role  `json:"role" enum:"owner,admin,operations,support,finance,read_only" doc:"The role the token acts with; only owners create owner tokens"`
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
	secret, t, err := s.cfg.Auth.CreateToken(ctx, auth.NewToken{Name: in.Body.Name, Role: in.Body.Role, ExpiresAt: in.Body.ExpiresAt})
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
