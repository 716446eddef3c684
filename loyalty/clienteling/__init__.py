"""Clienteling: one timeline of what a customer did online and in stores (interactions), the
preferences it implies (with evidence), consultations in stores and the consultant credit for
later orders, and recommendations that follow what the customer actually said in the store.

Other contexts call ``loyalty.clienteling.services``; merges move interactions and consultations
through the "interactions" merge step registered in ``loyalty.clienteling.merge``.
"""

# Registered whenever the tables are loaded (the registry imports them), so every process
# that can merge customers moves interactions too.
import loyalty.clienteling.merge  # noqa: F401
