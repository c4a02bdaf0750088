package storefront

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
)

// The GraphQL documents sent to Shopify's Admin API. Their operation names
// let a fake storefront (and Shopify's logs) tell them apart.
const (
	shopifyLookup = `query OrderlyLookupVariants($query: String!, $first: Int!) {
  productVariants(first: $first, query: $query) { nodes { id sku product { id } inventoryItem { id } } }
}`
	shopifySetInventory = `mutation OrderlySetInventory($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { field message code } }
}`
	shopifySetPrices = `mutation OrderlySetPrices($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) { userErrors { field message code } }
}`
)

// ShopifyAccessTokenHeader authenticates Admin API calls.
const ShopifyAccessTokenHeader = "X-Shopify-Access-Token"

// shopify publishes to a Shopify store's GraphQL Admin API:
//
//   - inventorySetQuantities sets the "available" quantity of every changed
//     variant's inventory item at the target's location, one call per batch
//     (Shopify takes up to 250 quantities per call);
//   - productVariantsBulkUpdate sets prices, one call per product (Shopify
//     updates variants of one product per call);
//   - SKUs without a mapping are looked up first with productVariants
//     (query "sku:..."), up to 50 per call, and the ids found are stored.
type shopify struct {
	c  *caller
	db *store.DB
}

type gqlRequest struct {
	Query         string `json:"query"`
	OperationName string `json:"operationName"`
	Variables     any    `json:"variables"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost struct {
			RequestedQueryCost float64 `json:"requestedQueryCost"`
			ThrottleStatus     struct {
				CurrentlyAvailable float64 `json:"currentlyAvailable"`
				RestoreRate        float64 `json:"restoreRate"`
			} `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

func (p *shopify) endpoint() string {
	return strings.TrimRight(p.c.target.url, "/") + "/admin/api/" + p.c.target.apiVersion + "/graphql.json"
}

// gql runs one GraphQL operation and decodes its data into out. Shopify
// answers a throttled call with 200 and a THROTTLED error: it waits for the
// points it lacks to be restored, as it would for a 429's Retry-After.
func (p *shopify) gql(ctx context.Context, op, query string, vars, out any) error {
	body, err := json.Marshal(gqlRequest{Query: query, OperationName: op, Variables: vars})
	if err != nil {
		return fmt.Errorf("encode %s: %w", op, err)
	}
	res, err := p.c.do(ctx, request{
		build: func(time.Time) (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, p.endpoint(), bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(ShopifyAccessTokenHeader, p.c.target.secret)
			return req, nil
		},
		throttled: func(b []byte) (time.Duration, bool) {
			var r gqlResponse
			if json.Unmarshal(b, &r) != nil {
				return 0, false
			}
			for _, e := range r.Errors {
				if e.Extensions.Code == "THROTTLED" {
					c := r.Extensions.Cost
					wait := time.Second
					if rate := c.ThrottleStatus.RestoreRate; rate > 0 {
						lack := c.RequestedQueryCost - c.ThrottleStatus.CurrentlyAvailable
						wait = max(wait, time.Duration(lack/rate*float64(time.Second)))
					}
					return wait, true
				}
			}
			return 0, false
		},
	})
	if err != nil {
		return fmt.Errorf("shopify %s: %w", op, err)
	}
	var r gqlResponse
	if err := json.Unmarshal(res, &r); err != nil {
		return fmt.Errorf("shopify %s: answer is not GraphQL JSON: %w", op, err)
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Message
		}
		return fmt.Errorf("shopify %s: %s", op, strings.Join(msgs, "; "))
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("shopify %s: unexpected data: %w", op, err)
	}
	return nil
}

// mapping is a SKU's ids on the store.
type mapping struct {
	variant, item, product string
	source                 string
	found                  bool
	at                     time.Time
}

func (p *shopify) publish(ctx context.Context, items []*item) error {
	now := p.c.s.clock()
	maps, err := p.mappings(ctx, items)
	if err != nil {
		return err
	}
	var unknown []*item
	for _, it := range items {
		m, ok := maps[it.sku]
		if !ok || !m.found && now.Sub(m.at) >= p.c.s.opts.LookupTTL {
			unknown = append(unknown, it)
		}
	}
	for i := 0; i < len(unknown); i += 50 {
		found, err := p.lookup(ctx, unknown[i:min(i+50, len(unknown))], now)
		if err != nil {
			return err
		}
		for sku, m := range found {
			maps[sku] = m
		}
	}
	var stock []*item
	products := map[string][]*item{}
	var productOrder []string
	for _, it := range items {
		m, ok := maps[it.sku]
		if it.setAside != "" || !ok || !m.found {
			continue // refused by the lookup, or not on the store: nothing to set
		}
		if it.stock {
			stock = append(stock, it)
		}
		if it.priceChg {
			if cur := p.c.target.currency; cur != "" && it.price.Currency != cur {
				p.c.s.opts.Logger.WarnContext(ctx, "price not sent to Shopify: currency differs from the store's",
					"target", p.c.target.id, "sku", it.sku, "price", it.price.String(), "store_currency", cur)
				continue
			}
			if _, seen := products[m.product]; !seen {
				productOrder = append(productOrder, m.product)
			}
			products[m.product] = append(products[m.product], it)
		}
	}
	if len(stock) > 0 {
		if err := p.setInventory(ctx, stock, maps); err != nil {
			return err
		}
	}
	for _, product := range productOrder {
		if err := p.setPrices(ctx, product, products[product], maps); err != nil {
			return err
		}
	}
	// A looked-up mapping the store refused is stale: look it up again.
	var stale []string
	for _, it := range items {
		if m, ok := maps[it.sku]; ok && it.setAside != "" && m.source == "lookup" && m.found {
			stale = append(stale, it.sku)
		}
	}
	if len(stale) > 0 {
		return p.db.InTx(ctx, func(tx *sql.Tx) error {
			for _, sku := range stale {
				if _, err := tx.ExecContext(ctx, `DELETE FROM storefront_mappings WHERE target_id = $1 AND sku = $2 AND source = 'lookup'`,
					p.c.target.id, sku); err != nil {
					return fmt.Errorf("forget stale mapping of %s: %w", sku, err)
				}
			}
			return nil
		})
	}
	return nil
}

// mappings reads the stored mappings of the items' SKUs.
func (p *shopify) mappings(ctx context.Context, items []*item) (map[string]mapping, error) {
	args := []any{p.c.target.id}
	marks := make([]string, len(items))
	for i, it := range items {
		args = append(args, it.sku)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	rows, err := p.db.R.QueryContext(ctx, `SELECT sku, remote_variant_id, inventory_item_id, product_id, source, found, updated_at
		FROM storefront_mappings WHERE target_id = $1 AND sku IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read storefront mappings: %w", err)
	}
	defer rows.Close()
	out := map[string]mapping{}
	for rows.Next() {
		var sku string
		var m mapping
		if err := rows.Scan(&sku, &m.variant, &m.item, &m.product, &m.source, &m.found, &m.at); err != nil {
			return nil, fmt.Errorf("read storefront mappings: %w", err)
		}
		out[sku] = m
	}
	return out, rows.Err()
}

// lookupFirst is how many variants one lookup asks for: more than the 50
// SKUs asked about, so a few SKUs shared by two variants still fit.
const lookupFirst = 250

// lookup finds the items' SKUs on the store and stores what it learns: ids
// of a SKU found once, "not found" for a SKU found nowhere. A SKU found on
// several variants is ambiguous: its item is set aside until a mapping is
// uploaded.
func (p *shopify) lookup(ctx context.Context, items []*item, now time.Time) (map[string]mapping, error) {
	terms := make([]string, len(items))
	for i, it := range items {
		terms[i] = `sku:"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(it.sku) + `"`
	}
	var data struct {
		ProductVariants struct {
			Nodes []struct {
				ID      string `json:"id"`
				SKU     string `json:"sku"`
				Product struct {
					ID string `json:"id"`
				} `json:"product"`
				InventoryItem struct {
					ID string `json:"id"`
				} `json:"inventoryItem"`
			} `json:"nodes"`
		} `json:"productVariants"`
	}
	if err := p.gql(ctx, "OrderlyLookupVariants", shopifyLookup,
		map[string]any{"query": strings.Join(terms, " OR "), "first": lookupFirst}, &data); err != nil {
		return nil, err
	}
	nodes := data.ProductVariants.Nodes
	bySKU := map[string][]mapping{}
	for _, n := range nodes {
		// Shopify's search matches loosely; keep exact SKUs only (ours are
		// upper case, a store's may not be).
		sku := strings.ToUpper(strings.TrimSpace(n.SKU))
		bySKU[sku] = append(bySKU[sku], mapping{variant: n.ID, item: n.InventoryItem.ID, product: n.Product.ID, source: "lookup", found: true, at: now})
	}
	truncated := len(nodes) >= lookupFirst
	out := map[string]mapping{}
	for _, it := range items {
		switch ms := bySKU[it.sku]; {
		case len(ms) == 1:
			out[it.sku] = ms[0]
		case len(ms) > 1:
			it.setAside = fmt.Sprintf("SKU %s is on %d variants of the Shopify store; upload a mapping to say which", it.sku, len(ms))
		case truncated:
			it.setAside = "the SKU lookup returned too many variants to be sure this SKU is not on the store; upload a mapping"
		default:
			out[it.sku] = mapping{source: "lookup", found: false, at: now}
		}
	}
	err := p.db.InTx(ctx, func(tx *sql.Tx) error {
		for sku, m := range out {
			// An upload made meanwhile wins over a lookup.
			if _, err := tx.ExecContext(ctx, `INSERT INTO storefront_mappings (target_id, sku, remote_variant_id, inventory_item_id, product_id,
				source, found, updated_at) VALUES ($1, $2, $3, $4, $5, 'lookup', $6, $7)
				ON CONFLICT (target_id, sku) DO UPDATE SET remote_variant_id = excluded.remote_variant_id, inventory_item_id = excluded.inventory_item_id,
					product_id = excluded.product_id, found = excluded.found, updated_at = excluded.updated_at
				WHERE storefront_mappings.source = 'lookup'`,
				p.c.target.id, sku, m.variant, m.item, m.product, m.found, now); err != nil {
				return fmt.Errorf("store looked-up mapping of %s: %w", sku, err)
			}
		}
		return nil
	})
	return out, err
}

// refusals sends a mutation over a list of items, dropping the items the
// store blames (userErrors naming listField[i]) and sending the rest again,
// as Shopify applies none of a call that has errors. An error it cannot
// pin on one item sets every remaining item aside.
func refusals(ctx context.Context, items []*item, listField string, send func([]*item) ([]userError, error)) error {
	for len(items) > 0 {
		errs, err := send(items)
		if err != nil || len(errs) == 0 {
			return err
		}
		blamed := map[int]string{}
		var general []string
		for _, e := range errs {
			if i, ok := indexIn(e.Field, listField); ok && i < len(items) {
				blamed[i] = e.Message
			} else {
				general = append(general, e.Message)
			}
		}
		if len(general) > 0 || len(blamed) == 0 {
			msg := "Shopify refused the update: " + strings.Join(append(general, values(blamed)...), "; ")
			for _, it := range items {
				it.setAside = msg
			}
			return nil
		}
		var rest []*item
		for i, it := range items {
			if msg, ok := blamed[i]; ok {
				it.setAside = "Shopify refused: " + msg
			} else {
				rest = append(rest, it)
			}
		}
		items = rest
	}
	return nil
}

// indexIn reads the list index after listField in a userError's field path,
// e.g. ["input", "quantities", "3", "inventoryItemId"].
func indexIn(path []string, listField string) (int, bool) {
	for i := 0; i+1 < len(path); i++ {
		if path[i] == listField {
			n, err := strconv.Atoi(path[i+1])
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

func values(m map[int]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// setInventory sets the available quantity of the items at the location.
func (p *shopify) setInventory(ctx context.Context, items []*item, maps map[string]mapping) error {
	return refusals(ctx, items, "quantities", func(items []*item) ([]userError, error) {
		qs := make([]map[string]any, len(items))
		for i, it := range items {
			qs[i] = map[string]any{"inventoryItemId": maps[it.sku].item, "locationId": p.c.target.locationID,
				"quantity": it.available, "changeFromQuantity": nil}
		}
		var data struct {
			InventorySetQuantities struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"inventorySetQuantities"`
		}
		err := p.gql(ctx, "OrderlySetInventory", shopifySetInventory, map[string]any{"input": map[string]any{
			"name": "available", "reason": "correction", "quantities": qs,
			"referenceDocumentUri": fmt.Sprintf("gid://orderly/StorefrontSync/%d", p.c.target.id)}}, &data)
		return data.InventorySetQuantities.UserErrors, err
	})
}

// setPrices sets the prices of one product's variants.
func (p *shopify) setPrices(ctx context.Context, product string, items []*item, maps map[string]mapping) error {
	return refusals(ctx, items, "variants", func(items []*item) ([]userError, error) {
		vs := make([]map[string]any, len(items))
		for i, it := range items {
			vs[i] = map[string]any{"id": maps[it.sku].variant, "price": it.price.Decimal()}
		}
		var data struct {
			ProductVariantsBulkUpdate struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"productVariantsBulkUpdate"`
		}
		err := p.gql(ctx, "OrderlySetPrices", shopifySetPrices, map[string]any{"productId": product, "variants": vs}, &data)
		return data.ProductVariantsBulkUpdate.UserErrors, err
	})
}
