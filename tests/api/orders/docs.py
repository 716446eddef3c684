"""GraphQL documents the order tests (and the docs) use."""

CART_FIELDS = """
  id token channel status voucherCodes shippingMethod
  lines { id sku title quantity method heldQuantity available pickupLocation { code }
          holds { quantity expiresAt location { code } reasons } }
  quote { userErrors { code message } quote { total { amount } shipping { amount } } }
"""

CART_CREATE = """
mutation($input: CartCreateInput!) { cartCreate(input: $input) {
  userErrors { code field message } cart { %s } } }
""".replace("%s", CART_FIELDS)

LINES_ADD = """
mutation($input: CartLinesAddInput!) { cartLinesAdd(input: $input) {
  userErrors { code field message } cart { %s } } }
""".replace("%s", CART_FIELDS)

SET_SHIPPING = """
mutation($input: CartSetShippingInput!) { cartSetShipping(input: $input) {
  userErrors { code field message } cart { %s } } }
""".replace("%s", CART_FIELDS)

ATTACH = """
mutation($input: CartAttachCustomerInput!) { cartAttachCustomer(input: $input) {
  userErrors { code field message } cart { id customer { id } } } }
"""

ORDER_FIELDS = """
  id number channel status placedAt needsRecount pointsEarned
  total { amount } shipping { amount } vatTotal { amount }
  sellingLocation { code }
  lines { id sku quantity method total { amount } fulfilledQuantity cancelledQuantity
          pickupLocation { code } }
  tenders { kind amount { amount } change { amount } points reference }
  refunds { kind amount { amount } }
"""

CHECKOUT = """
mutation($input: CheckoutCompleteInput!) { checkoutComplete(input: $input) {
  userErrors { code field message }
  shortfalls { lineId requested available alternatives { location { code } method available } }
  order { %s } } }
""".replace("%s", ORDER_FIELDS)

POS_SALE = """
mutation($input: PosSaleCompleteInput!) { posSaleComplete(input: $input) {
  userErrors { code field message } replayed
  order { id number needsRecount }
  receipt { number lines { sku quantity total { amount } }
            taxes { rate net { amount } vat { amount } }
            total { amount }
            tenders { kind amount { amount } tendered { amount } change { amount } }
            change { amount } } } }
"""

CANCEL = """
mutation($input: OrderCancelInput!) { orderCancel(input: $input) {
  userErrors { code field message } refunded order { %s } } }
""".replace("%s", ORDER_FIELDS)

ORDER = """
query($id: ID, $number: String) { order(id: $id, number: $number) { %s } }
""".replace("%s", ORDER_FIELDS)

ORDERS = """
query($customerId: ID, $locationId: ID, $first: Int, $after: String) {
  orders(customerId: $customerId, locationId: $locationId, first: $first, after: $after) {
    edges { cursor node { number channel total { amount } lines { sku } tenders { kind } } }
    pageInfo { hasNextPage endCursor } } }
"""
