"""What clients read in ``{"detail": ...}``: one wording for every backend.

The parity suite compares response bodies across backends, so a message
defined twice would be a difference waiting to happen.
"""

USER_NOT_FOUND = "User not found"
AUTHOR_NOT_FOUND = "Author not found"
POST_NOT_FOUND = "Post not found"
CATEGORY_NOT_FOUND = "Category not found"
PRODUCT_NOT_FOUND = "Product not found"
EMAIL_TAKEN = "Email already registered"
USERNAME_TAKEN = "Username already taken"
CATEGORY_NAME_TAKEN = "Category name already taken"
CATEGORY_HAS_PRODUCTS = "Category still has products; move or delete them first"
PRODUCT_NOT_DELETED = "Product is not deleted; only a deleted product can be restored"
ORDER_NOT_FOUND = "Order not found"
ORDER_ALREADY_CANCELLED = "Order is already cancelled"
PICTURE_NOT_FOUND = "Picture not found"
CONFLICT = "The change conflicts with data already stored"
"""A unique key no declaration names (``storage.types.unique_message``): the same on every store."""


def product_missing(product_id: int) -> str:
    """An order line names a product that does not exist or was deleted."""
    return f"Product {product_id} not found"


def out_of_stock(product_id: int, name: str, stock: int, wanted: int) -> str:
    """An order line asks for more than the product has."""
    return f"Not enough stock for product {product_id} ({name}): {stock} left, {wanted} ordered"


def login_taken(email_taken: bool) -> str:
    """A sign-up or change whose email or username is taken; the email is named first.

    One rule for every store: which unique index a database checks first is its own.
    """
    return EMAIL_TAKEN if email_taken else USERNAME_TAKEN


def logins_taken(conflicts: list[dict[str, object]]) -> str:
    """A bulk insert whose emails or usernames repeat or are taken already."""
    named = ", ".join(f"{c.get('email') or c.get('username')}" for c in conflicts)
    return f"Emails or usernames already taken or repeated in the batch: {named}"


def categories_missing(ids: list[int]) -> str:
    """A bulk insert naming categories that do not exist."""
    return f"Categories not found: {', '.join(map(str, ids))}"
