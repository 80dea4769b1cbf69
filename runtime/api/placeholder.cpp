namespace attngen { [[maybe_unused]] static int placeholder_api; }
