package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
)

type auditListInput struct {
	ListParams
	Event string `query:"event" maxLength:"50" doc:"Only this event, e.g. login.failed"`
}

func (s *Server) registerAudit() {
	operation(s, huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/audit",
		Summary: "List security events", Description: "The audit log, newest first: logins, failed logins (with reason), logouts, " +
			"tokens created and revoked, users created, role changes, users disabled and enabled, password changes.", Tags: []string{"Audit"}},
		auth.AuditRead, s.listAudit)
}

func (s *Server) listAudit(ctx context.Context, in *auditListInput) (*ListOutput[auth.AuditEntry], error) {
	var before int64
	if err := DecodeCursor(in.After, &before); err != nil {
		return nil, err
	}
	entries, err := s.cfg.Auth.ListAudit(ctx, auth.AuditFilter{Event: in.Event, BeforeID: before, Limit: in.Limit + 1})
	if err != nil {
		return nil, err
	}
	out := &ListOutput[auth.AuditEntry]{Body: Page[auth.AuditEntry]{Items: entries}}
	if len(entries) > in.Limit {
		out.Body.Items = entries[:in.Limit]
		out.Body.Next = EncodeCursor(entries[in.Limit-1].ID)
	}
	return out, nil
}
