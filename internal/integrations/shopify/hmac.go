// Package shopify receives orders from a Shopify store: it checks the
// signature Shopify puts on each webhook delivery and maps Shopify's Order
// object (the body of an orders/create webhook) into orders.PlaceInput, the
// one shape every intake path hands to the orders service.
//
// It holds no state and does no I/O: the web package reads the request,
// calls VerifyHMAC and ParseOrder, and passes the result to orders.Place.
package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Header names Shopify sets on every webhook delivery.
const (
	HeaderHMAC      = "X-Shopify-Hmac-Sha256" // base64(HMAC-SHA256(secret, raw body))
	HeaderTopic     = "X-Shopify-Topic"       // e.g. orders/create
	HeaderWebhookID = "X-Shopify-Webhook-Id"  // the delivery id: the same on every retry of one delivery
	HeaderShop      = "X-Shopify-Shop-Domain" // e.g. example.myshopify.com
	HeaderEventID   = "X-Shopify-Event-Id"    // the event id: shared by one event's deliveries to several subscriptions
)

// TopicOrdersCreate is the webhook topic of a new order.
const TopicOrdersCreate = "orders/create"

// maxHMACHeader bounds the header we decode: a base64 SHA-256 MAC is 44
// characters, so anything much longer is not one.
const maxHMACHeader = 128

// VerifyHMAC reports whether header is Shopify's signature of body under
// secret: the standard base64 encoding of HMAC-SHA256(secret, body), computed
// over the raw bytes as received, before any parsing. The comparison takes
// the same time wherever the MACs differ. An empty secret never verifies, so
// a missing configuration cannot turn into "everything is signed".
func VerifyHMAC(body []byte, header string, secret []byte) bool {
	header = strings.TrimSpace(header)
	if len(secret) == 0 || header == "" || len(header) > maxHMACHeader {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// Sign returns the X-Shopify-Hmac-Sha256 value Shopify would send for body
// signed with secret. Tests and local tools use it to make deliveries.
func Sign(body []byte, secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
