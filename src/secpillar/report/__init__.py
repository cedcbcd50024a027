"""Pure renderers: findings and inventories in, text or renderables out. Nothing here prints."""
