package notify

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"
)

var dataType = reflect.TypeFor[Data]()

// checkFields walks every branch of a parsed template, also those the data
// at hand does not take ({{if .Order.Cancelled}} on an order that is not),
// and refuses a field Data does not have: executing on a sample alone would
// let a typo in an untaken branch through to the first customer it applies
// to; a {{template}} must name one the template defines. Fields reached
// through a function's result or inside a {{define}} are not checked (their
// type is not known before execution).
func checkFields(t *template.Template) error {
	if t.Tree == nil {
		return nil
	}
	c := &fieldChecker{t: t, tree: t.Tree}
	c.list(t.Tree.Root, dataType, map[string]reflect.Type{"$": dataType})
	return c.err
}

type fieldChecker struct {
	t    *template.Template
	tree *parse.Tree
	err  error
}

func (c *fieldChecker) list(l *parse.ListNode, dot reflect.Type, vars map[string]reflect.Type) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, dot, vars)
	}
}

func (c *fieldChecker) node(n parse.Node, dot reflect.Type, vars map[string]reflect.Type) {
	if c.err != nil {
		return
	}
	switch n := n.(type) {
	case *parse.ActionNode:
		c.pipe(n.Pipe, dot, vars) // declarations stay in scope
	case *parse.IfNode:
		inner := maps.Clone(vars)
		c.pipe(n.Pipe, dot, inner)
		c.list(n.List, dot, inner)
		c.list(n.ElseList, dot, maps.Clone(inner))
	case *parse.WithNode:
		inner := maps.Clone(vars)
		typ := c.pipe(n.Pipe, dot, inner)
		c.list(n.List, typ, inner)
		c.list(n.ElseList, dot, maps.Clone(vars))
	case *parse.RangeNode:
		inner := maps.Clone(vars)
		typ := c.pipe(n.Pipe, dot, inner)
		var elem reflect.Type
		if typ != nil && (typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array) {
			elem = typ.Elem()
		}
		switch decl := n.Pipe.Decl; len(decl) {
		case 1:
			inner[decl[0].Ident[0]] = elem
		case 2:
			inner[decl[0].Ident[0]] = reflect.TypeFor[int]()
			inner[decl[1].Ident[0]] = elem
		}
		c.list(n.List, elem, inner)
		c.list(n.ElseList, dot, maps.Clone(vars))
	case *parse.ListNode:
		c.list(n, dot, vars)
	case *parse.TemplateNode:
		c.pipe(n.Pipe, dot, maps.Clone(vars))
		if c.err == nil && c.t.Lookup(n.Name) == nil {
			loc, _ := c.tree.ErrorContext(n)
			c.err = fmt.Errorf("template: %s: no such template %q", loc, n.Name)
		}
	}
}

// pipe checks the fields of p and declares its variables; it returns the
// pipeline's type when it is a field or variable alone, else nil.
func (c *fieldChecker) pipe(p *parse.PipeNode, dot reflect.Type, vars map[string]reflect.Type) reflect.Type {
	if p == nil {
		return nil
	}
	var typ reflect.Type
	for i, cmd := range p.Cmds {
		var t reflect.Type
		for _, arg := range cmd.Args {
			t = c.arg(arg, dot, vars)
		}
		if len(cmd.Args) != 1 || i > 0 {
			t = nil
		}
		typ = t
	}
	if len(p.Decl) == 1 {
		vars[p.Decl[0].Ident[0]] = typ
	}
	return typ
}

func (c *fieldChecker) arg(n parse.Node, dot reflect.Type, vars map[string]reflect.Type) reflect.Type {
	switch n := n.(type) {
	case *parse.FieldNode:
		return c.fields(n, "", dot, n.Ident)
	case *parse.VariableNode:
		t, ok := vars[n.Ident[0]]
		if !ok {
			return nil
		}
		return c.fields(n, n.Ident[0], t, n.Ident[1:])
	case *parse.DotNode:
		return dot
	case *parse.PipeNode:
		return c.pipe(n, dot, maps.Clone(vars))
	case *parse.ChainNode:
		c.arg(n.Node, dot, vars)
	}
	return nil
}

// fields follows idents from t; unknown t (nil) is not checked.
func (c *fieldChecker) fields(n parse.Node, root string, t reflect.Type, idents []string) reflect.Type {
	for _, id := range idents {
		if t == nil || c.err != nil {
			return nil
		}
		if _, ok := t.MethodByName(id); ok {
			return nil
		}
		var f reflect.StructField
		ok := false
		if t.Kind() == reflect.Struct {
			f, ok = t.FieldByName(id)
		}
		if !ok || !f.IsExported() {
			loc, _ := c.tree.ErrorContext(n)
			line := "?"
			if parts := strings.Split(loc, ":"); len(parts) >= 2 {
				line = parts[1]
			}
			at := root + "." + strings.Join(idents, ".")
			c.err = fmt.Errorf("template: %s:%s: executing %q at <%s>: can't evaluate field %s in type %s",
				c.tree.Name, line, c.tree.Name, at, id, t)
			return nil
		}
		t = f.Type
	}
	return t
}
