"""Access: client applications (API keys), staff users, roles and signed bearer tokens.

Owns tables ``api_keys``, ``staff_users`` and ``staff_user_locations``. Customers are owned by
``loyalty``; this context only signs and verifies their tokens.
"""

from domain.access.model import Channel, Principal, PrincipalKind, Role

__all__ = ["Channel", "Principal", "PrincipalKind", "Role"]
