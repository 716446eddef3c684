"""Returns, exchanges and their refunds: return documents from any channel for any order,
received at any location with a disposition per line, refunded from the order's price
snapshot (``refund_rules``) to the original tenders or store credit.

Public surface: ``fulfillment.returns.services`` (create, receive, cancel, exchange),
``fulfillment.returns.queries`` (returns by order, customer, location; ``returns_of_customer``).
"""
