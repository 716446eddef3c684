"""Clienteling use cases (the API and the demo call these)."""

from loyalty.clienteling.services.attribution import (
    AttributionReport,
    StaffAttribution,
    attribution_report,
)
from loyalty.clienteling.services.console import (
    Customer360,
    StoreVisitors,
    Visitor,
    customer_360,
    store_visitors,
)
from loyalty.clienteling.services.consultations import (
    ConsultationChange,
    RatingIn,
    accept_consultation,
    close_consultation,
    record_ratings,
    start_consultation,
)
from loyalty.clienteling.services.interactions import (
    EventIn,
    Recorded,
    forget_customer,
    join_on_sign_in,
    join_session,
    record_interactions,
    set_personalisation,
)
from loyalty.clienteling.services.recommendations import RecommendationResult, recommend

__all__ = [
    "AttributionReport",
    "ConsultationChange",
    "Customer360",
    "EventIn",
    "RatingIn",
    "RecommendationResult",
    "Recorded",
    "StaffAttribution",
    "StoreVisitors",
    "Visitor",
    "accept_consultation",
    "attribution_report",
    "close_consultation",
    "customer_360",
    "forget_customer",
    "join_on_sign_in",
    "join_session",
    "recommend",
    "record_interactions",
    "record_ratings",
    "set_personalisation",
    "start_consultation",
    "store_visitors",
]
