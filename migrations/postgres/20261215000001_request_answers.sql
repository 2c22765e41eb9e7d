-- What an HTTP write with an Idempotency-Key answered, so that a retry with the same key gets the
-- same answer: `fingerprint` (SHA-256 of the method, path and body) tells a retry from another
-- request reusing the key; `answer` is the status and JSON body, written once the write committed.
ALTER TABLE request_keys ADD COLUMN fingerprint TEXT;
ALTER TABLE request_keys ADD COLUMN answer TEXT;
