"""Sample agreement pairs written for the differ tests (English and Chinese)."""

OLD_EN = """\
# Speech Service Agreement

This Agreement is made between Northwind Ltd ("Provider") and the Customer.

## 1. Definitions

1.1 "Service" means the hosted speech recognition service.
1.2 "Customer Data" means audio and text the Customer uploads.
1.3 "Affiliate" means an entity that controls or is controlled by a party.

## 2. Fees

2.1 The Customer shall pay the fees within thirty days of the invoice date.
2.2 Fees exclude taxes, which the Customer pays in addition to the fees.
2.3 The Provider may change the fees on sixty days notice to the Customer.

## 3. Data

3.1 The Provider processes Customer Data only to provide the Service.
3.2 The Provider deletes Customer Data within ninety days after termination. The Customer may
export its Customer Data at any time before that deletion takes place.

## 4. General

4.1 Either party may terminate this Agreement on thirty days written notice.
4.2 The Provider may assign this Agreement to an Affiliate after notifying the Customer.
4.3 This Agreement is governed by the laws of England.
"""

NEW_EN = """\
# Speech Service Agreement

This Agreement is made between Southwind Holdings Ltd ("Provider") and the Customer.

## 1. Definitions

1.1 "Service" means the hosted speech recognition service.
1.2 "Account" means the Customer's login to the Service console.
1.3 "Customer Data" means audio and text the Customer uploads.
1.4 "Affiliate" means an entity that controls or is controlled by a party.

## 2. Fees

2.1 The Customer shall pay the fees within fifteen days of the invoice date.

## 3. Data

3.1 The Provider processes Customer Data only to provide the Service.
3.2 The Provider deletes Customer Data within ninety days after termination.
3.3 The Customer may export its Customer Data at any time before that deletion takes place.

## 4. General

4.1 Either party may terminate this Agreement on thirty days written notice.
4.2 The Provider may change the fees on sixty days notice to the Customer.
4.3 The Provider may assign this Agreement to an Affiliate after notifying the Customer.
4.4 This Agreement is governed by the laws of England.
"""

OLD_ZH = """\
语音服务协议

本协议由北风科技有限公司（以下简称“服务方”）与您签署。

一、定义
1.1 服务：指服务方提供的语音识别服务。
1.2 客户数据：指您上传的音频及文本。
1.3 关联公司：指控制一方或受一方控制的实体。

二、费用
2.1 您应在发票日期后三十日内支付费用。
2.2 费用不含税费，税费由您另行承担。
2.3 服务方可提前六十日通知您调整费用。

三、数据
3.1 服务方仅为提供服务之目的处理客户数据。
3.2 服务方在协议终止后九十日内删除客户数据。您可在删除前随时导出客户数据。

四、其他
4.1 任何一方均可提前三十日书面通知对方终止本协议。
4.2 服务方有权在通知您后将本协议转让给其关联公司。
4.3 本协议适用中华人民共和国法律。
"""

NEW_ZH = """\
语音服务协议

本协议由南风控股有限公司（以下简称“服务方”）与您签署。

一、定义
1.1 服务：指服务方提供的语音识别服务。
1.2 账户：指您登录服务控制台的账号。
1.3 客户数据：指您上传的音频及文本。
1.4 关联公司：指控制一方或受一方控制的实体。

二、费用
2.1 您应在发票日期后十五个工作日内支付费用。

三、数据
3.1 服务方仅为提供服务之目的处理客户数据。
3.2 服务方在协议终止后九十日内删除客户数据。
3.3 您可在删除前随时导出客户数据。

四、其他
4.1 任何一方均可提前三十日书面通知对方终止本协议。
4.2 服务方可提前六十日通知您调整费用。
4.3 服务方有权在通知您后将本协议转让给其关联公司。
4.4 本协议适用中华人民共和国法律。
"""
