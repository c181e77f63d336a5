"""Profile pictures: checking and re-encoding uploads, the default picture, the service.

``service`` is what routes call; ``processing`` does the image work (Pillow),
``default`` draws the picture of users who have none.
"""

PICTURE_MAX_BYTES = 2 * 1024 * 1024
"""The default largest picture upload (``PICTURE_MAX_BYTES``): 2 MB."""
