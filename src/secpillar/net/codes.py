"""Explanation codes: why a path is blocked. Where AWS's Reachability Analyzer has a code for the
same cause, the code is AWS's own name; the others are secpillar's, named in the same style."""

from __future__ import annotations

AWS_CODES: dict[str, str] = {
    "NO_ROUTE_TO_DESTINATION": "No route in the route table matches the destination.",
    "CANNOT_ROUTE": "The route's destination does not cover the packet's destination address.",
    "BAD_STATE_ATTACHMENT": "The attachment (peering connection, gateway) is not in a functional state.",
    "BAD_STATE_ROUTE": "The route is not in a functional state.",
    "ENI_SG_RULES_MISMATCH": "The network interface's security groups do not allow the traffic.",
    "SUBNET_ACL_RESTRICTION": "The subnet's network ACL does not allow the traffic.",
    "TGW_RTB_CANNOT_ROUTE": "The transit gateway route table has no route for the destination.",
    "ELBV2_LISTENERS_MISMATCH": "The load balancer has no listener that accepts the traffic.",
    "ELBV2_LISTENER_HAS_NO_TG": "The listener forwards to target groups with no targets.",
}
SECPILLAR_CODES: dict[str, str] = {
    "BLACKHOLE_ROUTE": "The best-matching route is a blackhole (VPC or transit gateway): traffic is dropped.",
    "TGW_ATTACHMENT_MISSING": "The route points to a transit gateway the VPC has no attachment to.",
    "TGW_ATTACHMENT_NOT_ASSOCIATED": "The transit gateway attachment is associated with no route table.",
    "PEERING_NOT_TRANSITIVE": "VPC peering delivers only to the peer VPC's own CIDRs (not transitive).",
    "IGW_NOT_ATTACHED": "The destination's VPC has no internet gateway attached.",
    "NO_PUBLIC_ADDRESS": "The interface has no public IPv4 address (public IP or Elastic IP).",
    "NO_IPV6_ADDRESS": "The interface has no IPv6 address.",
    "NO_RETURN_ROUTE": "Replies cannot come back: the destination side has no route to the source.",
    "EGRESS_ONLY_GATEWAY": "An egress-only internet gateway lets no connection in from the internet.",
    "UNATTACHED_INTERFACE": "The network interface is not attached to anything.",
    "SOURCE_DEST_CHECK": "The route targets an interface that has source/destination checking enabled.",
    "LOOP_OR_TOO_MANY_HOPS": "The path revisits a component or exceeds the hop limit.",
    "NOT_IN_MODEL": "A component the path needs was not collected (see the inventory's gaps).",
}
CODES = {**AWS_CODES, **SECPILLAR_CODES}
