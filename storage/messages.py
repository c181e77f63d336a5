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
CATEGORY_NAME_TAKEN = "Category name already taken"
CATEGORY_HAS_PRODUCTS = "Category still has products; move or delete them first"
