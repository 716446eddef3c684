"""GraphQL for pricing: quotes, shelf prices, merchandiser mutations, shelf-label events."""
