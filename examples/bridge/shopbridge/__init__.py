"""shopbridge: books WooCommerce orders as SAP Business One sales orders.

Written the way a small integration team writes one: an aiohttp webhook endpoint, a
SQLite outbox, one worker with retries, the Service Layer over HTTP and the official
``woocommerce`` client for the confirmation note.
"""
