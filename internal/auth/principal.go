package auth

import (
	"context"
	"fmt"
)

// Kind says what sort of caller a Principal is.
type Kind string

const (
	KindStaff    Kind = "staff"    // a staff user logged into the console
	KindToken    Kind = "token"    // an API token used by a script or integration
	KindSupplier Kind = "supplier" // a supplier's user
	KindSystem   Kind = "system"   // Orderly itself: a job or a command
)

// Principal is the authenticated caller of a request or the actor of a change.
type Principal struct {
	Kind       Kind
	ID         int64  // user id or token id; 0 for the system
	Name       string // email, token name or job name
	Role       Role
	SupplierID int64 // for KindSupplier: the one supplier this user belongs to
}

// Actor is the short label recorded on timelines and audit entries, e.g.
// "staff:3 ana@example.com" or "system:prune-sessions".
func (p *Principal) Actor() string {
	if p == nil {
		return "anonymous"
	}
	if p.Kind == KindSystem {
		return "system:" + p.Name
	}
	return fmt.Sprintf("%s:%d %s", p.Kind, p.ID, p.Name)
}

// Can reports whether the principal holds permission perm.
func (p *Principal) Can(perm Permission) bool {
	if perm == Public {
		return true
	}
	if p == nil {
		return false
	}
	return p.Role.Can(perm)
}

// System returns the principal for work Orderly does by itself.
func System(name string) *Principal {
	return &Principal{Kind: KindSystem, Name: name, Role: Owner}
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, or nil for an anonymous caller.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
