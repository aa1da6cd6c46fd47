-- 019_delivery_extracts: what the normaliser reads of a delivery, taken by
-- the webhook handler as the body arrives (bot.WebhookDelivery.Extract).
-- Processing reads it in place of the body: a merged pull request's extract
-- is a few hundred bytes of its 30 KB, and is neither decompressed nor
-- scanned again. NULL for deliveries stored without one, which are
-- processed from their body as before. Emptied with the body after
-- privacy.delivery_retention.
ALTER TABLE deliveries ADD COLUMN extract BLOB;
