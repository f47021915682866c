-- One row per notice held by an open cart (created or in progress): the primary key makes a
-- second holder impossible, whatever the interleaving of two starts.
CREATE TABLE cart_holds (
    ente TEXT NOT NULL,
    notice_number TEXT NOT NULL,
    cart_id TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    PRIMARY KEY (ente, notice_number)
) WITHOUT ROWID;
CREATE INDEX cart_holds_cart ON cart_holds (cart_id);

-- Open carts of today keep their notices; where two already hold one, the first keeps it.
INSERT INTO cart_holds (ente, notice_number, cart_id)
SELECT i.ente, i.notice_number, MIN(i.cart_id)
FROM cart_items i JOIN carts c ON c.id = i.cart_id
WHERE c.status IN ('created', 'in_progress')
GROUP BY i.ente, i.notice_number;
