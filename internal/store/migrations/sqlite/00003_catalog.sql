-- +goose Up
-- Products and their variants (the things we sell, one SKU per variant).
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    vendor TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('active', 'draft', 'archived')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX products_status_id ON products (status, id);

-- Tags live in their own table so "products tagged X" is an index lookup.
CREATE TABLE product_tags (
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (product_id, tag)
);
CREATE INDEX product_tags_tag ON product_tags (tag, product_id);

-- sku is stored normalised to upper case, so the plain UNIQUE constraint makes
-- SKUs unique case-insensitively and SKU prefix search is an index range scan
-- on both engines (see catalog.ParseSKU).
CREATE TABLE variants (
    id INTEGER PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id),
    sku TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '[]', -- JSON array of {"name","value"} in display order
    price_amount BIGINT NOT NULL CHECK (price_amount >= 0),
    price_currency TEXT NOT NULL,
    weight_grams BIGINT NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    barcode TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('active', 'draft', 'archived')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT variants_sku_key UNIQUE (sku)
);
CREATE INDEX variants_product_id ON variants (product_id, id);
CREATE INDEX variants_status_id ON variants (status, id);

-- Title search on SQLite: FTS5 trigram indexes answer LIKE '%text%' from the
-- index instead of reading every row (catalog.Service uses them when a search
-- is selective). Triggers keep them in step with every writer.
CREATE VIRTUAL TABLE product_title_search USING fts5(title, content='products', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE variant_title_search USING fts5(title, content='variants', content_rowid='id', tokenize='trigram');

-- +goose StatementBegin
CREATE TRIGGER products_title_search_insert AFTER INSERT ON products BEGIN
    INSERT INTO product_title_search (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER products_title_search_delete AFTER DELETE ON products BEGIN
    INSERT INTO product_title_search (product_title_search, rowid, title) VALUES ('delete', old.id, old.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER products_title_search_update AFTER UPDATE OF title ON products BEGIN
    INSERT INTO product_title_search (product_title_search, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO product_title_search (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER variants_title_search_insert AFTER INSERT ON variants BEGIN
    INSERT INTO variant_title_search (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER variants_title_search_delete AFTER DELETE ON variants BEGIN
    INSERT INTO variant_title_search (variant_title_search, rowid, title) VALUES ('delete', old.id, old.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER variants_title_search_update AFTER UPDATE OF title ON variants BEGIN
    INSERT INTO variant_title_search (variant_title_search, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO variant_title_search (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER variants_title_search_update;
DROP TRIGGER variants_title_search_delete;
DROP TRIGGER variants_title_search_insert;
DROP TRIGGER products_title_search_update;
DROP TRIGGER products_title_search_delete;
DROP TRIGGER products_title_search_insert;
DROP TABLE variant_title_search;
DROP TABLE product_title_search;
DROP TABLE variants;
DROP TABLE product_tags;
DROP TABLE products;
