"""Customer-service chat backend that protects personal information.

Architecture overview: ../README.md; subsystems document themselves in their packages.
"""

__version__ = "0.1.0"
