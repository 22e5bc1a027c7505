-- The shop reconciler's keyset cursor, one row per shop reader ("woocommerce", "magento"):
-- the (date_modified_gmt, order id) of the last order a pass read, so a restarted bridge
-- resumes where the last pass stopped instead of re-reading its whole look-back window.
-- The cursor only moves forward (bridge.store.cursors.save_cursor).

CREATE TABLE reconcile_cursors (
    name              TEXT    PRIMARY KEY,
    date_modified_gmt TEXT    NOT NULL,
    order_id          BIGINT NOT NULL,
    updated_at        DOUBLE PRECISION NOT NULL
);
