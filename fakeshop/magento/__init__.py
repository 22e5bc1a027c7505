"""Magento mode: the same orders seen as Magento 2 orders (REST subset) and published as
events on MQTT from fakeshop's own outbox."""
