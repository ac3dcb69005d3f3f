"""Infrastructure every WeiLinli service shares. Holds no domain logic and imports no service."""
