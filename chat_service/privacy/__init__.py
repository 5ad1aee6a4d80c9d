"""Privacy obligations towards others: notices to recipients of customers' data."""
