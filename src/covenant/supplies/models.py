"""Stock the CVS holds for member organisations, requests and fair allocation."""
