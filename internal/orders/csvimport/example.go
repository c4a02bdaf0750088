package csvimport

// Example is a small import file with two orders: the first has two lines
// (its second row leaves the order's columns blank), the second takes its
// unit price from the catalog and has an order discount. docs/import.md
// shows it, and the console offers it for download.
const Example = `order_ref,email,name,currency,sku,quantity,unit_price,line_discount,shipping,order_discount,ship_name,ship_line1,ship_city,ship_postal_code,ship_country,placed_at,note
1001,ana@example.com,Ana Costa,EUR,MUG-1,2,12.50,,4.90,,Ana Costa,Rua Augusta 10,Lisboa,1100-053,PT,2026-03-01,
1001,,,,TEE-M,1,19.00,2.00,,,,,,,,,
1002,bob@example.com,Bob Smith,EUR,MUG-1,1,,,0,1.00,Bob Smith,1 High Street,London,SW1A 1AA,GB,2026-03-01T14:30:00+01:00,"Gift wrap, please"
`
