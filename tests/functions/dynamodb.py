"""The stack's memory table on moto, created from the same layout the stack declares (``store_items.INDEXES``)."""

from __future__ import annotations

from typing import Any

from functions.aws.store_items import INDEXES, TTL_ATTRIBUTE

REGION = "us-east-1"


def create_memory_table(client: Any, name: str = "am-test-memories") -> str:
    attributes = {"pk", "sk"}
    indexes = []
    for index, (partition, sort, projection) in INDEXES.items():
        schema = [{"AttributeName": partition, "KeyType": "HASH"}]
        attributes.add(partition)
        if sort:
            schema.append({"AttributeName": sort, "KeyType": "RANGE"})
            attributes.add(sort)
        indexes.append({"IndexName": index, "KeySchema": schema, "Projection": {"ProjectionType": projection}})
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        GlobalSecondaryIndexes=indexes,
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
    return name
